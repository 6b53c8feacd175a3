// Storage layout of every upgradeable contract (everything in src/ that is or inherits Governed, GovernedBase or
// UUPSUpgradeable), against the
// committed snapshots/layout/<Contract>.json. Two parts per contract:
//  - `storage`: plain slots, as `forge inspect <C> storageLayout --json` reports them (STYLE 8 wants this empty);
//  - `namespaces`: the ERC-7201 structs (`@custom:storage-location erc7201:<ns>`), read from the AST, because
//    solc 0.8.24's storageLayout does not list namespaced storage at all, so forge inspect alone would see nothing.
// A change passes only when it is append-only: every old entry keeps its name, type and position. The script also
// checks that each namespace's slot constant really is erc7201(<ns>).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAbiParameters, keccak256, toHex } from 'viem';
import {
  AUDIT_OUT, AuditError, ROOT, auditBuild, forgeConfig, lastLines, loadContractsConsistent, readJson, runIfMain, sh, writeJson, writeReport,
  type ContractInfo, type ToolResult,
} from './lib.js';

export const LAYOUT_DIR = 'snapshots/layout';
/// A contract is upgradeable (and its layout guarded) when it is, or inherits, one of these. Governed is our UUPS
/// base; GovernedBase carries its ERC-7201 roles; UUPSUpgradeable catches anything upgradeable outside that family.
/// AUDIT_LAYOUT_BASES="A,B" replaces the list.
const BASES = (process.env.AUDIT_LAYOUT_BASES ?? 'Governed,GovernedBase,UUPSUpgradeable').split(',').map((s) => s.trim());

export interface TypeShape {
  type: string;
  /// Struct members (for struct types, also behind mappings and arrays).
  members?: { name: string; shape: TypeShape }[];
  /// The value of a mapping, the element of an array.
  inner?: TypeShape;
  kind?: 'struct' | 'mapping' | 'array';
}

export interface Layout {
  contract: string;
  source: string;
  storage: { label: string; slot: string; offset: number; type: string }[];
  namespaces: { id: string; struct: string; declaredIn: string; slot: string; members: { name: string; shape: TypeShape }[] }[];
}

export function erc7201Slot(namespace: string): `0x${string}` {
  const inner = BigInt(keccak256(toHex(namespace))) - 1n;
  const outer = BigInt(keccak256(encodeAbiParameters([{ type: 'uint256' }], [inner])));
  return toHex(outer & ~0xffn, { size: 32 });
}

function shapeOf(typeName: any, structs: Map<number | string, any>, depth = 0): TypeShape {
  const type = typeName?.typeDescriptions?.typeString ?? 'unknown';
  if (depth > 8) return { type };
  if (typeName?.nodeType === 'Mapping') return { type, kind: 'mapping', inner: shapeOf(typeName.valueType, structs, depth + 1) };
  if (typeName?.nodeType === 'ArrayTypeName') return { type, kind: 'array', inner: shapeOf(typeName.baseType, structs, depth + 1) };
  const ref = typeName?.referencedDeclaration ?? typeName?.pathNode?.referencedDeclaration;
  // A struct by its canonical name, not by AST id: an incremental build writes the artifacts of the files it
  // recompiled with the ids of a new compiler run and leaves the others with the old ones, so the id a member refers
  // to may belong to another run (a struct then lost its members from the snapshot, silently, or took another's).
  const named = /^struct (\S+)$/.exec(type);
  const def = named ? structs.get(named[1]) : ref !== undefined ? structs.get(ref) : undefined;
  if (def) return { type, kind: 'struct', members: def.members.map((m: any) => ({ name: m.name, shape: shapeOf(m.typeName, structs, depth + 1) })) };
  if (named) throw new AuditError(`layout: no definition of ${type} in the audit build (rebuild ${AUDIT_OUT}/ from clean)`);
  return { type };
}

/// Plain slots come from the artifact's storageLayout (what `forge inspect <C> storageLayout --json` prints: the
/// audit build asks solc for it), and from `forge inspect` itself when the artifact lacks it.
async function plainStorage(c: ContractInfo): Promise<any> {
  const fromArtifact = c.artifact ? readJson(c.artifact).storageLayout : undefined;
  if (fromArtifact) return fromArtifact;
  const res = await sh(['forge', 'inspect', `${c.source}:${c.name}`, 'storageLayout', '--json']);
  if (res.exitCode !== 0) throw new AuditError(`layout: forge inspect ${c.name} failed: ${lastLines(res.stderr)}`);
  return JSON.parse(res.stdout);
}

export async function readLayout(c: ContractInfo, all: ContractInfo[]): Promise<Layout> {
  const raw = await plainStorage(c);
  const types = raw.types ?? {};
  const storage = (raw.storage ?? []).map((s: any) => ({ label: s.label, slot: String(s.slot), offset: Number(s.offset), type: types[s.type]?.label ?? s.type }));

  const structs = new Map<number | string, any>();
  for (const k of all) {
    for (const n of k.node.nodes ?? []) {
      if (n.nodeType !== 'StructDefinition') continue;
      structs.set(n.id, n);
      if (n.canonicalName) structs.set(n.canonicalName, n);
    }
  }
  const namespaces: Layout['namespaces'] = [];
  // Most-base first, so the snapshot reads in inheritance order; then the storage libraries the contract's code
  // refers to (a namespace may live in a library that hands out the storage pointer, as ValuationStorage does).
  const baseInfos = [...c.bases].reverse().map((name) => all.find((k) => k.name === name)).filter((k): k is ContractInfo => !!k);
  const refs = new Set<number>();
  const walk = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (typeof node.referencedDeclaration === 'number') refs.add(node.referencedDeclaration);
    for (const v of Object.values(node)) walk(v);
  };
  for (const b of baseInfos) walk(b.node);
  const libraries = all.filter(
    (k) => k.node.contractKind === 'library' && !baseInfos.includes(k) &&
      (refs.has(k.node.id) || (k.node.nodes ?? []).some((n: any) => refs.has(n.id))),
  );
  for (const base of [...baseInfos, ...libraries]) {
    for (const n of base.node.nodes ?? []) {
      if (n.nodeType !== 'StructDefinition') continue;
      const m = /@custom:storage-location\s+erc7201:(\S+)/.exec(n.documentation?.text ?? '');
      if (!m) continue;
      const slot = erc7201Slot(m[1]);
      const constants = (base.node.nodes ?? []).filter((v: any) => v.nodeType === 'VariableDeclaration' && v.constant && v.value?.nodeType === 'Literal');
      if (!constants.some((v: any) => typeof v.value.value === 'string' && v.value.value.toLowerCase() === slot)) {
        throw new AuditError(`layout: ${base.name}.${n.name} is tagged erc7201:${m[1]} but no constant in ${base.name} equals its slot ${slot}`);
      }
      namespaces.push({ id: `erc7201:${m[1]}`, struct: n.name, declaredIn: base.name, slot, members: n.members.map((mm: any) => ({ name: mm.name, shape: shapeOf(mm.typeName, structs) })) });
    }
  }
  return { contract: c.name, source: c.source, storage, namespaces };
}

/// Why `next` is not an append-only extension of `prev` (empty when it is).
export function diffShape(prev: TypeShape, next: TypeShape, path: string, appendOk: boolean): string[] {
  if (prev.type !== next.type) return [`${path}: type ${prev.type} -> ${next.type}`];
  const out: string[] = [];
  if (prev.inner && next.inner) out.push(...diffShape(prev.inner, next.inner, `${path}[]`, prev.kind === 'mapping'));
  if (prev.members && next.members) out.push(...diffMembers(prev.members, next.members, path, appendOk));
  return out;
}

/// Struct members: old ones must stay in place with the same type; new ones may only be appended, and only where
/// the struct is not followed by other data (a namespace root or a mapping value).
/// Bytes a value type takes in storage, or undefined for a type that always starts a new slot (structs, mappings,
/// arrays, string, bytes) or that this script does not know.
export function valueBytes(type: string): number | undefined {
  if (type === 'bool' || type.startsWith('enum ')) return 1; // enums with <= 256 members, as the compiler packs them
  if (type === 'address' || type === 'address payable' || type.startsWith('contract ')) return 20;
  const int = /^u?int(\d+)$/.exec(type);
  if (int) return Number(int[1]) / 8;
  if (type === 'uint' || type === 'int') return 32;
  const fixed = /^bytes(\d+)$/.exec(type);
  if (fixed) return Number(fixed[1]);
  return undefined;
}

/// Storage slots a member of this shape takes when laid out inline (solc's packing rules: value types share a slot in
/// declaration order while they fit; structs and arrays start a new slot and the next member starts after them;
/// mappings, dynamic arrays, string and bytes take one slot). Undefined when a type is not known.
export function slotsOf(shape: TypeShape): number | undefined {
  if (shape.kind === 'mapping') return 1;
  if (shape.kind === 'struct') return shape.members ? packSlots(shape.members.map((m) => m.shape)) : undefined;
  if (shape.kind === 'array') {
    const n = /\[(\d+)\]$/.exec(shape.type);
    if (!n) return 1; // dynamic array: its length slot
    const len = Number(n[1]);
    const inner = shape.inner;
    if (!inner) return undefined;
    const bytes = inner.kind ? undefined : valueBytes(inner.type);
    if (bytes !== undefined) return Math.ceil(len / Math.floor(32 / bytes));
    const each = slotsOf(inner);
    return each === undefined ? undefined : len * each;
  }
  if (shape.type === 'string' || shape.type === 'bytes') return 1;
  return valueBytes(shape.type) === undefined ? undefined : 1;
}

function packSlots(shapes: TypeShape[]): number | undefined {
  let slots = 0;
  let used = 32; // bytes used in the current slot; 32 = "start a new one"
  for (const sh of shapes) {
    const bytes = sh.kind ? undefined : valueBytes(sh.type);
    if (bytes !== undefined) {
      if (used + bytes > 32) {
        slots += 1;
        used = 0;
      }
      used += bytes;
    } else {
      const n = slotsOf(sh);
      if (n === undefined) return undefined;
      slots += n;
      used = 32;
    }
  }
  return slots;
}

export function diffMembers(prev: { name: string; shape: TypeShape }[], next: { name: string; shape: TypeShape }[], path: string, appendOk: boolean): string[] {
  const out: string[] = [];
  prev.forEach((p, i) => {
    const n = next[i];
    if (!n) out.push(`${path}.${p.name}: removed`);
    else if (n.name !== p.name) out.push(`${path}: member ${i} renamed or reordered ${p.name} -> ${n.name}`);
    else out.push(...diffShape(p.shape, n.shape, `${path}.${p.name}`, false));
  });
  if (next.length > prev.length && !appendOk) {
    // Appending to a struct stored inline is safe only when the new members fit in the free bytes of its last slot:
    // then the struct takes as many slots as before and nothing after it moves (e.g. a bool packed after 31 bytes).
    const before = packSlots(prev.map((m) => m.shape));
    const after = packSlots(next.map((m) => m.shape));
    if (before === undefined || after === undefined || after !== before) {
      out.push(`${path}: members appended to a struct stored inline grow it from ${before ?? '?'} to ${after ?? '?'} slot(s) (shifts what follows)`);
    }
  }
  return out;
}

export function diffLayout(prev: Layout, next: Layout): string[] {
  const out: string[] = [];
  prev.storage.forEach((p, i) => {
    const n = next.storage[i];
    if (!n) out.push(`storage ${p.label}: removed`);
    else if (n.label !== p.label || n.slot !== p.slot || n.offset !== p.offset || n.type !== p.type) {
      out.push(`storage ${i}: ${p.label} ${p.type} @${p.slot}+${p.offset} -> ${n.label} ${n.type} @${n.slot}+${n.offset}`);
    }
  });
  for (const ns of prev.namespaces) {
    const now = next.namespaces.find((x) => x.id === ns.id);
    if (!now) out.push(`${ns.id}: namespace removed`);
    else {
      if (now.slot !== ns.slot) out.push(`${ns.id}: slot ${ns.slot} -> ${now.slot}`);
      out.push(...diffMembers(ns.members, now.members, `${ns.id}(${ns.struct})`, true));
    }
  }
  return out;
}

export async function upgradeableContracts(): Promise<{ targets: ContractInfo[]; all: ContractInfo[] }> {
  const src = (await forgeConfig()).src as string;
  const all = await loadContractsConsistent('layout');
  const targets = all.filter((c) => c.source.startsWith(`${src}/`) && c.kind === 'contract' && c.bases.some((b) => BASES.includes(b)));
  return { targets, all };
}

export async function runLayout(write = false): Promise<ToolResult> {
  await auditBuild('layout');
  const { targets, all } = await upgradeableContracts();
  if (targets.length === 0) return { tool: 'layout', status: 'skip', headline: `no contract in src/ inherits ${BASES.join(' or ')}` };
  const details: string[] = [];
  const problems: string[] = [];
  let changed = 0;
  const current = new Map<string, Layout>();
  for (const c of targets) {
    const layout = await readLayout(c, all);
    current.set(c.name, layout);
    const file = join(ROOT, LAYOUT_DIR, `${c.name}.json`);
    if (!existsSync(file)) {
      if (write) writeJson(file, layout);
      else problems.push(`${c.name}: no snapshot ${LAYOUT_DIR}/${c.name}.json (run 'make layout' and commit it)`);
      details.push(`- ${c.name}: new snapshot${write ? ' written' : ' missing'}`);
      continue;
    }
    const prev = readJson<Layout>(file);
    const diff = diffLayout(prev, layout);
    const same = JSON.stringify(prev) === JSON.stringify(layout);
    if (diff.length) {
      problems.push(...diff.map((d) => `${c.name}: ${d}`));
      details.push(`- ${c.name}: **not append-only**`, ...diff.map((d) => `  - ${d}`));
    } else if (!same) {
      changed += 1;
      details.push(`- ${c.name}: append-only change${write ? ' (snapshot updated)' : " (run 'make layout' and commit the snapshot)"}`);
      if (write) writeJson(file, layout);
    } else {
      details.push(`- ${c.name}: unchanged (${layout.storage.length} plain slot(s), ${layout.namespaces.map((n) => `${n.id} ${n.members.length} member(s)`).join(', ') || 'no namespace'})`);
    }
  }
  // Snapshots whose contract is gone: an upgradeable contract must not disappear silently.
  const dir = join(ROOT, LAYOUT_DIR);
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)) {
      const name = f.replace(/\.json$/, '');
      if (f.endsWith('.json') && !current.has(name)) problems.push(`${name}: snapshot exists but the contract is gone from src/ (delete ${LAYOUT_DIR}/${f} on purpose if intended)`);
    }
  }
  writeReport('layout.json', Object.fromEntries(current));
  writeReport('layout-diff.md', [...details, ...problems.map((p) => `- ${p}`)].join('\n') + '\n');
  // Under `--write` a pure append is accepted and recorded; a breaking change is never written over.
  const status = problems.length ? 'fail' : !write && changed ? 'fail' : 'pass';
  return {
    tool: 'layout',
    status,
    headline: problems.length
      ? `${problems.length} layout problem(s), first: ${problems[0]}`
      : changed && !write
        ? `${changed} append-only change(s) not yet in ${LAYOUT_DIR}/: run 'make layout' and commit`
        : `${targets.length} contract(s): ${targets.map((t) => t.name).join(', ')}; append-only`,
    details,
    files: ['layout.json', 'layout-diff.md'],
  };
}

runIfMain(import.meta.url, () => runLayout(process.argv.includes('--write')));
