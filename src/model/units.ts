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
