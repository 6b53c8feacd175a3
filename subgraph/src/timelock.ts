// The TimelockController's operations: one entity per operation id, its calls in index order (a batch schedules one
// CallScheduled per call), when it becomes ready, and whether it ran or was cancelled.
import { CallExecuted, CallSalt, CallScheduled, Cancelled } from '../generated/TimelockController/TimelockController';
import { TimelockOperation } from '../generated/schema';

export function handleCallScheduled(event: CallScheduled): void {
  const p = event.params;
  let op = TimelockOperation.load(p.id);
  if (op == null || op.status != 'Scheduled') {
    // A new operation, or one cancelled (or, for an id reused after execution, impossible) and scheduled again.
    op = new TimelockOperation(p.id);
    op.status = 'Scheduled';
    op.targets = [];
    op.values = [];
    op.datas = [];
    op.cancelledAt = null;
  }
  const targets = op.targets;
  const values = op.values;
  const datas = op.datas;
  targets.push(p.target);
  values.push(p.value);
  datas.push(p.data);
  op.targets = targets;
  op.values = values;
  op.datas = datas;
  op.predecessor = p.predecessor;
  op.delay = p.delay;
  op.scheduledAt = event.block.timestamp;
  op.readyAt = event.block.timestamp.plus(p.delay);
  op.scheduleTx = event.transaction.hash;
  op.save();
}

export function handleCallSalt(event: CallSalt): void {
  const op = TimelockOperation.load(event.params.id);
  if (op == null) return;
  op.salt = event.params.salt;
  op.save();
}

export function handleCallExecuted(event: CallExecuted): void {
  const op = TimelockOperation.load(event.params.id);
  if (op == null) return;
  op.status = 'Executed';
  op.executedAt = event.block.timestamp;
  op.save();
}

export function handleCancelled(event: Cancelled): void {
  const op = TimelockOperation.load(event.params.id);
  if (op == null) return;
  op.status = 'Cancelled';
  op.cancelledAt = event.block.timestamp;
  op.save();
}

