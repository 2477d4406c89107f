// A boot-time default that changed between boots: the same distribution
// config can boot with another default after a kernel point release
// (CONFIG_MHP_DEFAULT_ONLINE_TYPE_* replaced CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE,
// backported to 6.12.110), or someone edited the command line. Pure: the
// boots come from src/host/boot-default.ts through the cli.
import { isAutoOnline, type AutoOnline } from '../model/device.js';
import type { BootDefault } from '../host/boot-default.js';
import { lastParam, parseCmdline } from './cmdline.js';
import { KERNEL_DEFAULTS_UNIT, type Finding } from './finding.js';

export interface BootHistory {
  /** The record, for evidence. */
  file: string;
  /** The last boot daxplan saw before this one. */
  previous: BootDefault | undefined;
  current: BootDefault | undefined;
}

/** A boot's default for memory the kernel adds, and what set it. */
interface Default {
  value: AutoOnline | undefined;
  source: string;
  onlinePolicy: string | undefined;
}

/** The command line wins over the config, and either over what daxplan saw at its first look in that boot. */
function bootDefault(boot: BootDefault): Default {
  const params = parseCmdline(boot.cmdline);
  const state = lastParam(params, 'memhp_default_state');
  const onlinePolicy = lastParam(params, 'memory_hotplug.online_policy')?.value;
  if (state?.value !== undefined && isAutoOnline(state.value)) return { value: state.value, source: state.text, onlinePolicy };
  if (boot.config) return { value: boot.config.value, source: `${boot.config.option} in ${boot.config.file}`, onlinePolicy };
  return { value: boot.firstSeen, source: boot.firstSeen ? 'auto_online_blocks at daxplan\'s first look in that boot' : 'unknown', onlinePolicy };
}

export function bootDefaultFindings(history: BootHistory | undefined): Finding[] {
  if (!history?.previous || !history.current) return [];
  const [was, now] = [bootDefault(history.previous), bootDefault(history.current)];
  const changed: string[] = [];
  if (was.value !== now.value) changed.push(`new memory arrives ${now.value ?? 'unknown'} (was ${was.value ?? 'unknown'})`);
  if (was.onlinePolicy !== now.onlinePolicy) changed.push(`the online policy is ${now.onlinePolicy ?? 'the default'} (was ${was.onlinePolicy ?? 'the default'})`);
  if (changed.length === 0) return [];
  const boot = (b: BootDefault, d: Default) => `Linux ${b.release} (${d.source}, boot of ${b.recordedAt.slice(0, 10)})`;
  return [
    {
      id: 'kernel.default-changed',
      severity: 'warning',
      evidence: `${history.file}: ${boot(history.previous, was)} -> ${boot(history.current, now)}`,
      message: `the kernel's boot-time default changed since the last boot daxplan saw: ${changed.join('; ')}, so devices bound at boot land elsewhere than they did`,
      fix: `Make it independent of the kernel build: declare 'kernel: { auto_online_blocks: offline }' in the policy with ${KERNEL_DEFAULTS_UNIT} enabled, or put memhp_default_state=offline on the kernel command line.`,
    },
  ];
}
