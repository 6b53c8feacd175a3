// The valuation's events: every observed sale with the TWAP it produced, the listed collections and freezes.
import {
  CollectionDelisted,
  CollectionFrozen,
  CollectionListed,
  CollectionUnfrozen,
  SaleObserved,
} from '../generated/Valuation/Valuation';
import { OracleObservation } from '../generated/schema';
import { loadCollection } from './seaport';

export function handleSaleObserved(event: SaleObserved): void {
  const p = event.params;
  const o = new OracleObservation(event.transaction.hash.toHexString() + '-' + event.logIndex.toString());
  const c = loadCollection(p.collection);
  c.twap = p.twap;
  c.save();
  o.collection = c.id;
  o.reporter = p.reporter;
  o.reported = p.reported;
  o.recorded = p.recorded;
  o.saleTimestamp = p.timestamp;
  o.twap = p.twap;
  o.blockNumber = event.block.number;
  o.timestamp = event.block.timestamp;
  o.save();
}

export function handleCollectionListed(event: CollectionListed): void {
  const c = loadCollection(event.params.collection);
  c.listed = true;
  c.save();
}

export function handleCollectionDelisted(event: CollectionDelisted): void {
  const c = loadCollection(event.params.collection);
  c.listed = false;
  c.save();
}

export function handleCollectionFrozen(event: CollectionFrozen): void {
  const c = loadCollection(event.params.collection);
  c.frozen = true;
  c.save();
}

export function handleCollectionUnfrozen(event: CollectionUnfrozen): void {
  const c = loadCollection(event.params.collection);
  c.frozen = false;
  c.save();
}
