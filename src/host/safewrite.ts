// Writes as root into paths a user may name or reach (/tmp, --out): never
// through a symlink at the last component, so a planted link cannot redirect
// the write to another file.
import * as fs from 'node:fs';
import { HostError } from '../model/errors.js';

export function writeFileNoFollow(file: string, text: string, mode = 0o644): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HostError(code === 'ELOOP' ? `refusing to write ${file}: it is a symbolic link` : `cannot write ${file}: ${code}`);
  }
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}
