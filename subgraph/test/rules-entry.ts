// The WASM face of src/rules.ts for ts/test/subgraph.test.ts: one line-based text in, one line out, so node needs
// nothing but the runtime's __new/__pin to pass a string. Compiled by the AssemblyScript compiler graph-cli brings.
// Input lines (space-separated): `fill <orderHash> <offerer> <recipient>`, `offer <type> <token> <id> <amount>`,
// `consideration <type> <token> <id> <amount> <recipient>`, `matched <hash>`, `counterpart <orderHash> <token> <id> <recipient>`, `transfer <token> <from> <to> <id>
// <amount>`, `listed <collection>`, `pool <asset> <0|1 weth pool>`, `totalSize <hex>`.
// Output: the skip reason, or `sale <standard> <collection> <tokenId> <amount> <seller> <buyer> <currency>
// <offer|consideration> <payment indexes, comma-separated>`.
import { Counterpart, decide, Decision, Item, needsOrderStatus, NftTransfer, RuleInput } from '../src/rules';

function parse(text: string): RuleInput {
  const input = new RuleInput();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i].split(' ');
    const kind = f[0];
    if (kind == 'fill') {
      input.orderHash = f[1];
      input.offerer = f[2];
      input.recipient = f[3];
    } else if (kind == 'offer') {
      input.offer.push(new Item(I32.parseInt(f[1]), f[2], f[3], f[4], ''));
    } else if (kind == 'consideration') {
      input.consideration.push(new Item(I32.parseInt(f[1]), f[2], f[3], f[4], f[5]));
    } else if (kind == 'matched') {
      input.matched.push(f[1]);
    } else if (kind == 'transfer') {
      input.transfers.push(new NftTransfer(f[1], f[2], f[3], f[4], f[5]));
    } else if (kind == 'counterpart') {
      input.counterparts.push(new Counterpart(f[1], f[2], f[3], f[4]));
    } else if (kind == 'listed') {
      input.listed.push(f[1]);
    } else if (kind == 'pool') {
      input.poolAsset = f[1];
      input.wethPool = f[2] == '1';
    } else if (kind == 'totalSize') {
      input.totalSize = f[1];
    }
  }
  return input;
}

function format(d: Decision): string {
  if (d.code != 0) return d.reason();
  const idx: string[] = [];
  for (let k = 0; k < d.payments.length; k++) idx.push(d.payments[k].toString());
  return 'sale ' + d.standard.toString() + ' ' + d.collection + ' ' + d.tokenId + ' ' + d.amount + ' ' + d.seller + ' ' +
    d.buyer + ' ' + d.currency + ' ' + (d.paidInOffer ? 'offer' : 'consideration') + ' ' + idx.join(',');
}

export function decideText(text: string): string {
  return format(decide(parse(text)));
}

/** What src/seaport.ts does: decide with totalSize 1 first, then with the order's status only if needsOrderStatus. */
export function decideTwoPassText(text: string): string {
  const input = parse(text);
  const totalSize = input.totalSize;
  input.totalSize = '0x1';
  let d = decide(input);
  if (needsOrderStatus(d)) {
    input.totalSize = totalSize;
    d = decide(input);
  }
  return format(d);
}
