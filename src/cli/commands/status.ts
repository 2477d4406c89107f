import { HOST, observeHost, printJson, STATE } from '../common.js';
import { oneOf, type Command } from '../args.js';
import { statusJson } from '../../render/json.js';
import { statusText } from '../../render/text.js';
import { EXIT } from '../../model/errors.js';
import { hostRoot, ROOT } from '../root.js';
import { readPause } from '../../host/pause.js';

export const status: Command = {
  name: 'status',
  summary: 'Show every dax device: state, target node, tier, UUID, size, memory blocks online/total and zone.',
  usage: 'daxplan status [--sysfs-root DIR | --state FILE] [--root DIR] [--device NAME...] [--format text|json]',
  options: { ...HOST, ...STATE, ...ROOT, format: { type: 'string', short: 'f', arg: 'text|json', help: 'output format (default text)' } },
  run(values, _positionals, io) {
    const format = oneOf(values.format ?? 'text', ['text', 'json'] as const, 'format');
    const observed = observeHost(values, io);
    const pause = readPause(hostRoot(values));
    if (format === 'json') printJson(io, statusJson(observed, pause));
    else io.stdout.write(statusText(observed, pause));
    return EXIT.ok;
  },
};
