// forge FFI: argv[2] = ABI-encoded (uint256 frozenDebt, uint256 price, uint16 penaltyBps, uint16 keeperShareBps).
// stdout = ABI-encoded (uint256 repaid, uint256 penalty, uint256 keeper, uint256 reserve, uint256 surplus): the
// keeper's settlementSplit (ts/keeper/keeper.ts), which test/differential/SettlementDifferential.t.sol holds against
// what the pool books for the same sale.
import { type Hex, decodeAbiParameters, encodeAbiParameters } from 'viem';
import { settlementSplit } from '../keeper/keeper.js';

const [frozenDebt, price, penaltyBps, keeperShareBps] = decodeAbiParameters(
  [{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint16' }, { type: 'uint16' }],
  process.argv[2] as Hex,
);
const s = settlementSplit({ frozenDebt }, price, { penaltyBps, keeperShareBps });
process.stdout.write(
  encodeAbiParameters(
    [{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }],
    [s.repaid, s.penalty, s.keeper, s.reserve, s.surplus],
  ),
);
