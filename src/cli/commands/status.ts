import { formatOption, HOST, openHost, openSysfs, printJson, STATE } from '../common.js';
import { oneOf, defineCommand } from '../args.js';
import { statusJson } from '../../render/json.js';
import { daxctlList } from '../../render/daxctl.js';
import { statusText } from '../../render/text.js';
import { readAlign } from '../../host/align.js';
import { EXIT } from '../../model/errors.js';
import { hostRoot, ROOT } from '../root.js';
import { readPause } from '../../host/pause.js';

const FORMATS = ['text', 'json', 'daxctl'] as const;

export const status = defineCommand({
  name: 'status',
  summary: 'Show every dax device: state, target node, tier, UUID, size, memory blocks online/total and zone.',
  details: [
    "--format daxctl prints the devices as 'daxctl list' does (a JSON array of chardev, size, target_node, align, mode system-ram, devdax, famfs (bound to fsdev_dax) or unknown (another driver), and for system-ram online_memblocks, total_memblocks and movable; state \"disabled\" for a device with no driver), so scripts written for daxctl keep working.",
  ],
  usage: 'daxplan status [--sysfs-root DIR | --state FILE] [--root DIR] [--device NAME...] [--format text|json|daxctl]',
  options: { ...HOST, ...STATE, ...ROOT, format: formatOption(FORMATS) },
  run(values, _positionals, io) {
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    const { observed } = openHost(values, io);
    if (format === 'daxctl') {
      // A snapshot records no alignment: the field is left out, as daxctl does when it cannot read it.
      const align = values.state === undefined ? readAlign(openSysfs(values, io), observed.devices.map((d) => d.name)) : new Map<string, number>();
      printJson(io, daxctlList(observed.devices, align));
      return EXIT.ok;
    }
    const pause = readPause(hostRoot(values));
    if (format === 'json') printJson(io, statusJson(observed, pause));
    else io.stdout.write(statusText(observed, pause));
    return EXIT.ok;
  },
});
