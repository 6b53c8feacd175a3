// The mutation check's patches (invariants/mutants/mutants.json) must each still apply to src/: a mutant whose `find`
// matches nothing is reported STALE by `make mutants` and tests nothing. CI runs only four mutants, so without this a
// refactor could silently retire the rest (it did: M05, M06, M13, M14 and M21-M23 matched nothing for a while).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface Mutant {
  id: string;
  file: string;
  find: string;
  replace: string;
  expect: string;
}

const { mutants } = JSON.parse(readFileSync(join(ROOT, 'invariants/mutants/mutants.json'), 'utf8')) as { mutants: Mutant[] };

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) n += 1;
  return n;
}

describe('mutants', () => {
  it('has unique ids, each expecting a property', () => {
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
    // One property or several ('A / B'), each as the harness names it, with an optional note in brackets.
    for (const m of mutants) expect(m.expect, m.id).toMatch(/^[A-Z][A-Z0-9]*_[A-Z0-9_]+( \/ [A-Z][A-Z0-9]*_[A-Z0-9_]+)*( \(.+\))?$/);
  });

  it.each(mutants.map((m) => [m.id, m] as const))('%s applies to exactly one place of its file, and changes it', (_id, m) => {
    const text = readFileSync(join(ROOT, m.file), 'utf8');
    expect(occurrences(text, m.find), `${m.id}: 'find' in ${m.file}`).toBe(1);
    expect(m.replace).not.toBe(m.find);
  });
});
