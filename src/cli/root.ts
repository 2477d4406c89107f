// --root: where the host's files other than sysfs live (/etc, /run, /usr/lib,
// /lib, /proc/cmdline, /var/lib/daxplan), so that doctor, the pause and the
// competitor checks run on trees in tests just as on the host.
import { sysfsRoot } from './common.js';
import { isRealSysfs } from '../host/sysfs.js';
import type { OptionSpecs, ValuesOf } from './args.js';
import type { HostFlags } from './common.js';

export const ROOT = {
  root: {
    type: 'string',
    arg: 'DIR',
    help: "the host's files (udev rules, daxctl.conf.d, /proc/cmdline, the disable marker) under DIR instead of / (default: / when looking at this host's /sys, else not read)",
  },
} as const satisfies OptionSpecs;

/**
 * The root of the host's files, or undefined when the host looked at is not
 * this one (--sysfs-root elsewhere or --state) and no --root says where its
 * files are: this machine's /etc says nothing about a snapshot.
 */
export function hostRoot(values: HostFlags & ValuesOf<typeof ROOT>): string | undefined {
  if (values.root !== undefined) return values.root;
  if (values.state !== undefined) return undefined;
  // However /sys is reached (a link, a bind mount, "/sys/."), its host's pause and files apply.
  return isRealSysfs(sysfsRoot(values)) ? '/' : undefined;
}
