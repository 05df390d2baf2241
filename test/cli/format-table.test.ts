/** `formatTable` wraps its last column to a width with a hanging indent, and lays out as before without one. */
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/format-table.js';
import { wrapText } from '../../src/cli/wrap-text.js';

const rows = [
  ['a', 'one two three four five six seven eight nine ten eleven twelve'],
  ['bb', 'short'],
];

describe('formatTable', () => {
  it('without a width: padded columns, one line per row', () => {
    expect(formatTable(['k', 'text'], rows)).toBe(
      ['k   text', `--  ${'-'.repeat(rows[0]![1]!.length)}`, `a   ${rows[0]![1]}`, 'bb  short'].join('\n'),
    );
  });

  it('with a width: the last column wrapped under itself, no line longer than the width', () => {
    const t = formatTable(['k', 'text'], rows, { width: 30 });
    expect(t).toBe(
      [
        'k   text',
        '--  --------------------------',
        'a   one two three four five',
        '    six seven eight nine ten',
        '    eleven twelve',
        'bb  short',
      ].join('\n'),
    );
  });

  it('with too little room beside the other cells: the last column goes below its row, indented', () => {
    const t = formatTable(['key', 'text'], [['k'.repeat(20), 'one two three four five six']], { width: 30 });
    for (const l of t.split('\n')) expect(l.length).toBeLessThanOrEqual(30);
    expect(t.split('\n').slice(-3)).toEqual(['k'.repeat(20), '    one two three four five', '    six']);
  });
});

describe('wrapText', () => {
  it('breaks at spaces, cuts a word longer than the width, and keeps empty text as one line', () => {
    expect(wrapText('the quick brown fox', 10)).toEqual(['the quick', 'brown fox']);
    expect(wrapText('abcdefghij kl', 4)).toEqual(['abcd', 'efgh', 'ij', 'kl']);
    expect(wrapText('', 5)).toEqual(['']);
  });
});
