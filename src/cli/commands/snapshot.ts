import { hostname as osHostname } from 'node:os';
import { HOST, openHost, sysfsRoot } from '../common.js';
import { isRealSysfs } from '../../host/sysfs.js';
import { defineCommand } from '../args.js';
import { snapshotText, toSnapshot } from '../../host/snapshot.js';
import { EXIT, UsageError } from '../../model/errors.js';

const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export const snapshotCommand = defineCommand({
  name: 'snapshot',
  summary:
    "Print what daxplan sees on this host as JSON, to plan elsewhere with daxplan plan --state FILE. Devices, memory blocks, tiers, kernel facts and online memory totals; nothing secret.",
  usage: 'daxplan snapshot [--sysfs-root DIR] [--device NAME...] [--hostname NAME] > host.json',
  options: {
    ...HOST,
    hostname: { type: 'string', arg: 'NAME', help: "host name to record (default: this host's name when reading this host's /sys, however reached; none for another tree)" },
  },
  run(values, _positionals, io) {
    const given = values.hostname;
    if (given !== undefined && !HOSTNAME.test(given)) throw new UsageError(`--hostname "${given}" is not a host name (letters, digits, ".", "_", "-")`);
    const host = openHost(values, io);
    const own = isRealSysfs(sysfsRoot(values)) ? osHostname() : undefined;
    const hostname = given ?? (own && HOSTNAME.test(own) ? own : undefined);
    for (const problem of host.observed.kernel.problems) io.stderr.write(`daxplan: warning: ${problem}\n`);
    io.stdout.write(snapshotText(toSnapshot(host.observed, host.memoryTotals(), { capturedAt: new Date(), hostname, binding: host.binding() })));
    return EXIT.ok;
  },
});
