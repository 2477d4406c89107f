// The kernel's boot-time default for memory it adds, boot by boot. A kernel
// point release can change how the default is configured
// (CONFIG_MHP_DEFAULT_ONLINE_TYPE_* replaced CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE,
// backported to 6.12.110), so the same distribution config can boot with
// another default. apply records what it sees at its first run in each boot
// (the command line, the kernel config when /boot/config-RELEASE or
// /proc/config.gz has it, auto_online_blocks before daxplan writes it) in a
// small root-owned file under the host root; doctor compares the newest
// boot with the one before it.
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DirSysfs, MAX_ATTRIBUTE_BYTES, readIfReadable } from './sysfs.js';
import { BOOT_ID } from './proc.js';
import { readTrusted, replaceTrusted } from './trust.js';
import { EXIT } from '../model/errors.js';
import { isAutoOnline, type AutoOnline } from '../model/device.js';

/** The record, relative to the host root (--root, default /). */
export const BOOT_RECORD_FILE = 'var/lib/daxplan/boot-default.json';
const MAX_RECORD_BYTES = 64 * 1024;
const MAX_CONFIG_BYTES = 1 << 20;
/** A distribution's kernel config is about 300 KB, unpacked; more is no kernel config. */
export const MAX_CONFIG_TEXT_BYTES = 2 << 20;
/** Boots kept: the newest and the one before, which is all doctor compares. */
const BOOTS_KEPT = 2;
const RELEASE = /^[A-Za-z0-9._+~-]{1,64}$/;
/** The kernel's COMMAND_LINE_SIZE on x86_64. */
const MAX_CMDLINE = 2048;

/** What one boot's default was, and where each part was read. */
export interface BootDefault {
  bootId: string;
  /** uname -r. */
  release: string;
  recordedAt: string;
  /** /proc/cmdline (memhp_default_state=, memory_hotplug.online_policy=; doctor parses it). */
  cmdline: string;
  /** The default the kernel was built with, when its config could be read. */
  config: { file: string; option: string; value: AutoOnline } | undefined;
  /** auto_online_blocks at daxplan's first look in this boot. */
  firstSeen: AutoOnline | undefined;
}

/** Decompresses /proc/config.gz (node:zlib, loaded by the caller at first use); undefined when it is no gzip. */
export type Gunzip = (data: Buffer) => string | undefined;

/** The host's files under `root`, read as text; undefined for what cannot be read. */
function textReader(root: string, maxBytes = MAX_ATTRIBUTE_BYTES): (rel: string) => string | undefined {
  const files = new DirSysfs(root, maxBytes);
  return (rel) => readIfReadable(files, rel);
}

/** This boot's id (proc/sys/kernel/random/boot_id), or undefined where the host gives none. */
export function readBootId(root: string): string | undefined {
  const id = textReader(root)('proc/sys/kernel/random/boot_id');
  return id !== undefined && BOOT_ID.test(id) ? id : undefined;
}

/**
 * This boot's default as the host shows it now, with `firstSeen` the
 * auto_online_blocks the caller read; undefined when the host gives no boot
 * id or release (not Linux's /proc).
 */
export function observeBoot(root: string, firstSeen: AutoOnline | undefined, gunzip: Gunzip, now = new Date()): BootDefault | undefined {
  const text = textReader(root, MAX_CONFIG_TEXT_BYTES);
  const bootId = readBootId(root);
  const release = text('proc/sys/kernel/osrelease');
  if (bootId === undefined || release === undefined || !RELEASE.test(release)) return undefined;
  return {
    bootId,
    release,
    recordedAt: now.toISOString(),
    cmdline: (text('proc/cmdline') ?? '').slice(0, MAX_CMDLINE).replace(/[\x00-\x1f\x7f]/g, ' '),
    config: kernelConfig(root, release, text, gunzip),
    firstSeen,
  };
}

function kernelConfig(root: string, release: string, text: (rel: string) => string | undefined, gunzip: Gunzip): BootDefault['config'] {
  const boot = `boot/config-${release}`;
  const plain = text(boot);
  const found = plain !== undefined ? parseConfigDefault(plain) : undefined;
  if (found) return { file: `/${boot}`, ...found };
  const packed = readBytes(join(root, 'proc/config.gz'));
  const unpacked = packed && gunzip(packed);
  const fromProc = unpacked !== undefined ? parseConfigDefault(unpacked) : undefined;
  return fromProc && { file: '/proc/config.gz', ...fromProc };
}

/** Up to MAX_CONFIG_BYTES of a file (procfs reports size 0, so read until the end); undefined when it cannot be read. */
function readBytes(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES);
    let length = 0;
    for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += n;
    return buffer.subarray(0, length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const CHOICES: Record<string, AutoOnline> = {
  CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE: 'offline',
  CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO: 'online',
  CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_KERNEL: 'online_kernel',
  CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_MOVABLE: 'online_movable',
};
const LEGACY = 'CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE';

/**
 * The default a kernel config builds in: the CONFIG_MHP_DEFAULT_ONLINE_TYPE_*
 * choice set to y, else (kernels before it) CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE
 * (y: online, "is not set": offline); undefined when the config says neither.
 */
export function parseConfigDefault(config: string): { option: string; value: AutoOnline } | undefined {
  for (const line of config.split('\n')) {
    const m = /^(CONFIG_[A-Z0-9_]+)=y\s*$/.exec(line);
    if (m && CHOICES[m[1]]) return { option: m[1], value: CHOICES[m[1]] };
  }
  if (new RegExp(`^${LEGACY}=y\\s*$`, 'm').test(config)) return { option: LEGACY, value: 'online' };
  if (new RegExp(`^# ${LEGACY} is not set\\s*$`, 'm').test(config)) return { option: `${LEGACY} (not set)`, value: 'offline' };
  return undefined;
}

/** The boots recorded under `root`, oldest first; none when the record is absent, not daxplan's or not trusted. */
export function readBootRecord(root: string): BootDefault[] {
  let text: string;
  try {
    text = readTrusted(join(root, BOOT_RECORD_FILE), { maxBytes: MAX_RECORD_BYTES, exitCode: EXIT.runtime });
  } catch {
    return [];
  }
  try {
    const data = JSON.parse(text) as { kind?: unknown; boots?: unknown };
    if (data.kind !== 'boot-defaults' || !Array.isArray(data.boots)) return [];
    return data.boots.flatMap((b) => (isBootDefault(b) ? [b] : [])).slice(-BOOTS_KEPT);
  } catch {
    return [];
  }
}

/** Records `boot` unless the record already has it (the first look in a boot is the one kept); returns whether it wrote. */
export function recordBoot(root: string, boot: BootDefault): boolean {
  const boots = readBootRecord(root);
  if (boots.some((b) => b.bootId === boot.bootId)) return false;
  const file = join(root, BOOT_RECORD_FILE);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const kept = [...boots, boot].slice(-BOOTS_KEPT);
  // Whole or not at all (a rename): runs started together at boot may both write it.
  replaceTrusted(file, JSON.stringify({ format_version: '1.0', kind: 'boot-defaults', boots: kept }, null, 2) + '\n', { exitCode: EXIT.runtime });
  return true;
}

/** A recorded boot is hostile input: every field checked before it is believed. */
function isBootDefault(b: unknown): b is BootDefault {
  if (b === null || typeof b !== 'object') return false;
  const r = b as Record<string, unknown>;
  const optionalAuto = (v: unknown) => v === undefined || (typeof v === 'string' && isAutoOnline(v));
  const config = r.config as Record<string, unknown> | undefined;
  const configOk =
    config === undefined ||
    (typeof config === 'object' && config !== null && typeof config.file === 'string' && config.file.length < 256 && typeof config.option === 'string' && /^CONFIG_[A-Z0-9_ ()a-z]{1,80}$/.test(config.option) && typeof config.value === 'string' && isAutoOnline(config.value));
  return (
    typeof r.bootId === 'string' &&
    BOOT_ID.test(r.bootId) &&
    typeof r.release === 'string' &&
    RELEASE.test(r.release) &&
    typeof r.recordedAt === 'string' &&
    r.recordedAt.length < 40 &&
    typeof r.cmdline === 'string' &&
    r.cmdline.length <= MAX_CMDLINE &&
    !/[\x00-\x1f\x7f]/.test(r.cmdline) &&
    optionalAuto(r.firstSeen) &&
    configOk
  );
}
