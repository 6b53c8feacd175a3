// The listed collections' transfers (templates created at a collection's first TermsSet): who holds each token.
import { BigInt, Bytes, ethereum } from '@graphprotocol/graph-ts';
import { Transfer } from '../generated/templates/Erc721Collection/ERC721';
import { TransferSingle } from '../generated/templates/Erc1155Collection/ERC1155';
import { Token } from '../generated/schema';

function record(event: ethereum.Event, tokenId: BigInt, to: Bytes): void {
  const id = event.address.toHexString() + '-' + tokenId.toString();
  let t = Token.load(id);
  if (t == null) {
    t = new Token(id);
    t.collection = event.address;
    t.tokenId = tokenId;
    t.transfers = BigInt.zero();
  }
  t.owner = to;
  t.transfers = t.transfers.plus(BigInt.fromI32(1));
  t.lastTransferTx = event.transaction.hash;
  t.save();
}

export function handleTransfer(event: Transfer): void {
  record(event, event.params.id, event.params.to);
}

export function handleTransferSingle(event: TransferSingle): void {
  record(event, event.params.id, event.params.to);
}
