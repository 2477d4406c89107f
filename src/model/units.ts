// Sizes as people read them: binary units, at most three significant digits.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n: bigint): string {
  const negative = n < 0n;
  let value = Number(negative ? -n : n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '');
  return `${negative ? '-' : ''}${text} ${UNITS[unit]}`;
}

export function signedBytes(n: bigint): string {
  return n > 0n ? `+${bytes(n)}` : bytes(n);
}

/** A number as sysfs and cxl list print addresses and serials: 0x, lowercase hex. */
export function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}

/** An address range, both ends included: "0x110000000-0x20fffffff". */
export function hexRange(start: bigint, end: bigint): string {
  return `${hex(start)}-${hex(end)}`;
}
