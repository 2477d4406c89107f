import { lstatSync } from 'node:fs';
import { HOST, hostName, openHost, STATE } from '../common.js';
import { defineCommand } from '../args.js';
import { adopt } from '../../plan/adopt.js';
import { adoptedPolicyText } from '../../render/adopted.js';
import { writeTrusted } from '../../host/trust.js';
import { DaxplanError, EXIT } from '../../model/errors.js';

export const initCommand = defineCommand({
  name: 'init',
  summary:
    'Write a policy that keeps this host (or a snapshot) as it is. One rule per device, chosen by the most stable identity it has (CXL serial, namespace UUID, else physical address; node only where nothing else exists), asking for the state it is in, with the kernel settings it reads, each rule commented with what the device is.',
  details: [
    "Plan with the result reports no changes: it is the way to adopt a host set up by hand. Devices no policy state can keep as they are (offline, mixed, unreadable, a drifted state file) get no rule and are listed in a comment at the end. The policy goes to standard output, or with --out to FILE, which must not exist unless --force.",
  ],
  usage: 'daxplan init [--sysfs-root DIR | --state FILE] [--out FILE] [--force]',
  options: {
    'sysfs-root': HOST['sysfs-root'],
    ...STATE,
    out: { type: 'string', short: 'o', arg: 'FILE', help: 'write the policy to FILE instead of standard output' },
    force: { type: 'boolean', help: 'replace FILE when it exists' },
  },
  run(values, _positionals, io) {
    const out = values.out;
    // Checked before the host is read: an existing policy is never replaced by accident.
    if (out !== undefined && !values.force && lstatSync(out, { throwIfNoEntry: false }))
      throw new DaxplanError(`${out} exists: nothing written (pass --force to replace it, or choose another --out)`, EXIT.runtime);
    const host = openHost(values, io);
    const text = adoptedPolicyText(adopt(host.observed, out ?? 'daxplan.yaml'), hostName(host, values));
    if (out === undefined) io.stdout.write(text);
    else writeTrusted(out, text, { exitCode: EXIT.runtime });
    return EXIT.ok;
  },
});
