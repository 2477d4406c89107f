// The operator at a terminal: present only when standard input is one.
import type { Terminal } from './args.js';
import { builtin } from '../model/builtin.js';

export function terminalIo(): Terminal | undefined {
  if (!builtin('node:tty').isatty(0)) return undefined;
  return {
    async ask(question) {
      const { createInterface } = builtin('node:readline');
      // terminal: false: the terminal's own line editing and echo, no escape codes of readline's.
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
      return new Promise<string | undefined>((resolve) => {
        let answered = false;
        rl.on('close', () => answered || resolve(undefined));
        rl.question(question, (answer) => {
          answered = true;
          rl.close();
          resolve(answer);
        });
      });
    },
  };
}

/**
 * `daxplan plan | head`: once the reader is gone, writes are dropped instead
 * of ending in an unhandled EPIPE. The command still runs to its end (an apply
 * finishes the device it is moving) and exits with its own status.
 */
export function dropWritesOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
}
