// Names findings use for what they point at.
import * as path from 'node:path';

/**
 * Sysfs evidence is named as on the host the observation stands for (/sys/...),
 * whether it was read from /sys, a copied tree or a snapshot.
 */
export const sysfsPath = (rel: string) => path.posix.join('/sys', rel);

/** The boot unit that writes the policy's kernel settings before udev binds dax devices. */
export const KERNEL_DEFAULTS_UNIT = 'contrib/systemd/daxplan-kernel-defaults.service';
