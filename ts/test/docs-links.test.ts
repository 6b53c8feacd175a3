// The README is a front door to docs/: a link that names a moved or renamed page, or a heading that no longer
// exists, sends a reader nowhere. Every tracked Markdown file's relative links must resolve.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenLinks, headingAnchors } from '../lib/md-links.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('Markdown links', () => {
  it('every relative link of every tracked Markdown file resolves, anchors included', () => {
    const files = execFileSync('git', ['ls-files', '-z', '--', '*.md'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '');
    expect(files).toContain('README.md');
    const broken = brokenLinks(ROOT, files).map((b) => `${b.file}:${b.line} ${b.target}: ${b.reason}`);
    expect(broken).toEqual([]);
  });

  describe('the checker', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-links-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'pool.md'), '# The pool\n\n## Gas (whole transactions)\n\n## `make gas`\n\n## Gas (whole transactions)\n');
    const check = (text: string) => {
      writeFileSync(join(dir, 'README.md'), text);
      return brokenLinks(dir, ['README.md']).map((b) => b.reason);
    };

    it('accepts existing files, folders and headings, and ignores external links and code', () => {
      expect(
        check(
          [
            '[pool](docs/pool.md) [docs](docs/) [gas](docs/pool.md#gas-whole-transactions)',
            '[again](docs/pool.md#gas-whole-transactions-1) [make](docs/pool.md#make-gas) [web](https://example.org/x.md)',
            '`[not a link](nowhere.md)`',
            '```',
            '[inside a fence](nowhere.md)',
            '```',
          ].join('\n'),
        ),
      ).toEqual([]);
    });

    it('reports a missing file, a missing heading and a path out of the repository', () => {
      expect(check('[a](docs/liquidation.md) [b](docs/pool.md#keeper) [c](../outside.md)')).toEqual([
        'no such file',
        'no heading with anchor #keeper',
        'points outside the repository',
      ]);
    });

    it('makes GitHub anchors from headings', () => {
      expect([...headingAnchors('# Set-up: the two commands\n## Trust assumptions\n## Trust assumptions\n')]).toEqual([
        'set-up-the-two-commands',
        'trust-assumptions',
        'trust-assumptions-1',
      ]);
    });
  });
});
