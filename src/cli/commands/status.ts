import { CONFIG, formatOption, HOST, LOCKING, openHost, openSysfs, printJson, STATE } from '../common.js';
import { oneOf, defineCommand } from '../args.js';
import { statusJson } from '../../render/json.js';
import { daxctlList } from '../../render/daxctl.js';
import { statusText } from '../../render/text.js';
import { prometheusText } from '../../render/prometheus.js';
import { nfdText } from '../../render/nfd.js';
import { readAlign } from '../../host/align.js';
import { EXIT } from '../../model/errors.js';
import { hostRoot, ROOT } from '../root.js';
import { readPause } from '../../host/pause.js';
import { hostSignals, SIGNAL_FILES, writeSignalFiles } from '../signals.js';
import { say } from '../journal.js';

const FORMATS = ['text', 'json', 'daxctl', 'prometheus', 'nfd'] as const;

export const status = defineCommand({
  name: 'status',
  summary: 'Show every dax device: state, target node, tier, UUID, size, memory blocks online/total and zone.',
  details: [
    "--format daxctl prints the devices as 'daxctl list' does (a JSON array of chardev, size, target_node, align, mode system-ram, devdax, famfs (bound to fsdev_dax) or unknown (another driver), and for system-ram online_memblocks, total_memblocks and movable; state \"disabled\" for a device with no driver), so scripts written for daxctl keep working.",
    "--format prometheus prints metrics in node_exporter's textfile format (per device its state, size and bytes online per zone, drift from the policy and whether it is blocked; per host whether it is converged and the last apply's time, duration and result); --format nfd prints Node Feature Discovery feature-file lines (memory online per zone and NUMA node, tiers, the state of the host's plan). Both read the policy (exit 65, after printing, when it is invalid).",
  ],
  usage:
    'daxplan status [--sysfs-root DIR | --state FILE] [--root DIR] [--device NAME...] [-f text|json|daxctl|prometheus|nfd] [--config FILE] [--lock-file FILE] [--metrics-file FILE] [--features-file FILE]',
  options: {
    ...HOST,
    ...STATE,
    ...ROOT,
    format: formatOption(FORMATS),
    ...CONFIG,
    'lock-file': { ...LOCKING['lock-file'], help: `${LOCKING['lock-file'].help}; the last apply is recorded beside it` },
    ...SIGNAL_FILES,
  },
  run(values, _positionals, io) {
    const format = oneOf(values.format ?? 'text', FORMATS, 'format');
    const { observed } = openHost(values, io);
    // The files describe the whole host, whatever --device shows here.
    writeSignalFiles(values, io, () => (values.device ? openHost({ ...values, device: undefined }, io).observed : observed));
    if (format === 'daxctl') {
      // A snapshot records no alignment: the field is left out, as daxctl does when it cannot read it.
      const align = values.state === undefined ? readAlign(openSysfs(values, io), observed.devices.map((d) => d.name)) : new Map<string, number>();
      printJson(io, daxctlList(observed.devices, align));
      return EXIT.ok;
    }
    if (format === 'prometheus' || format === 'nfd') {
      const signals = hostSignals(values, io, observed);
      io.stdout.write(format === 'prometheus' ? prometheusText(signals) : nfdText(signals));
      if (signals.policy.kind === 'invalid') {
        say(io, 'err', `daxplan: ${signals.policy.message}`);
        return EXIT.policy;
      }
      return EXIT.ok;
    }
    const pause = readPause(hostRoot(values));
    if (format === 'json') printJson(io, statusJson(observed, pause));
    else io.stdout.write(statusText(observed, pause));
    return EXIT.ok;
  },
});
