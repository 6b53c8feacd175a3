// Relative links in Markdown files: every `[text](path)` and `[text](path#anchor)` must name a file or folder that
// exists, and an anchor must be a heading of the target (GitHub's slugs). External links (a scheme such as https:)
// are not followed: the machines reach no web site. Used by ts/test/docs-links.test.ts over every tracked .md file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

export interface BrokenLink {
  /** The Markdown file holding the link, relative to the root. */
  file: string;
  line: number;
  target: string;
  reason: string;
}

/** Lines outside fenced code blocks: `raw` as written, `prose` with inline code spans blanked (a link inside
 *  backticks is not a link). */
function lines(text: string): { line: number; raw: string; prose: string }[] {
  const out: { line: number; raw: string; prose: string }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(raw);
    if (open) {
      if (fence === undefined) fence = open[1][0];
      else if (open[1][0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: i + 1, raw, prose: raw.replace(/`+[^`]*`+/g, (m) => ' '.repeat(m.length)) });
  });
  return out;
}

/** GitHub's heading anchors: lower case, punctuation (backticks included) dropped, spaces to hyphens; a repeated
 *  heading gets -1, -2, ... */
export function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { raw } of lines(text)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (!h) continue;
    const base = h[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The broken relative links of `files` (paths relative to `root`). */
export function brokenLinks(root: string, files: string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (abs: string): Set<string> => {
    let a = anchorsOf.get(abs);
    if (!a) anchorsOf.set(abs, (a = headingAnchors(readFileSync(abs, 'utf8'))));
    return a;
  };
  for (const file of files) {
    const abs = join(root, file);
    for (const { line, prose } of lines(readFileSync(abs, 'utf8'))) {
      for (const m of prose.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = m[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
        const [path, anchor] = target.split('#', 2) as [string, string | undefined];
        const dest = path === '' ? abs : normalize(join(dirname(abs), decodeURIComponent(path)));
        if (relative(root, dest).startsWith('..')) {
          broken.push({ file, line, target, reason: 'points outside the repository' });
          continue;
        }
        if (!existsSync(dest)) {
          broken.push({ file, line, target, reason: 'no such file' });
          continue;
        }
        if (anchor !== undefined && anchor !== '') {
          if (statSync(dest).isDirectory() || !dest.endsWith('.md')) {
            broken.push({ file, line, target, reason: 'an anchor into something that is not a Markdown file' });
          } else if (!anchors(dest).has(anchor.toLowerCase())) {
            broken.push({ file, line, target, reason: `no heading with anchor #${anchor}` });
          }
        }
      }
    }
  }
  return broken;
}
