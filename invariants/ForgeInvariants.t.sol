// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Tester} from "./Tester.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";

/// @notice forge's invariant runner over the shared harness: the Tester's handlers are the only targets, and each
/// property is asserted after every call, with the first failed postcondition (ID and statement) as the message.
/// Run: `make invariant` (profile "invariants"; INVARIANT_RUNS / INVARIANT_DEPTH override).
contract ForgeInvariants is StdInvariant, Test {
    Tester internal t;

    function setUp() public {
        t = new Tester();
        targetContract(address(t));
    }

    /// @notice Every property after every call. One invariant function, not one per property: forge runs a separate
    /// campaign for each `invariant_*` function, so fifteen of them would cost fifteen campaigns.
    function invariant_properties() public view {
        assertTrue(t.echidna_postconditions(), t.firstFailure());
        assertTrue(t.echidna_A1_ledger(), "A1_LEDGER");
        assertTrue(t.echidna_A1_debt(), "A1_DEBT");
        assertTrue(t.echidna_A1_assets(), "A1_ASSETS");
        assertTrue(t.echidna_A2_backing(), "A2_BACKING");
        assertTrue(t.echidna_A3_shares(), "A3_SHARES");
        assertTrue(t.echidna_A3_debts(), "A3_DEBTS");
        assertTrue(t.echidna_A6_maxWithdraw(), "A6_LIQUIDITY");
        assertTrue(t.echidna_L2_custody721(), "L2_CUSTODY_721");
        assertTrue(t.echidna_L3_custody1155(), "L3_CUSTODY_1155");
        assertTrue(t.echidna_L4_commitments(), "L4_STATE_MACHINE");
        assertTrue(t.echidna_B4_frozenDebt(), "B4_FROZEN_DEBT");
        assertTrue(t.echidna_L7_ltvBelowThreshold(), "L7_HEALTHY_NOT_AUCTIONABLE");
        assertTrue(t.echidna_I2_rate(), "I2_RATE");
        assertTrue(t.echidna_O1_valueBounds(), "O1_VALUE_BOUNDS");
        assertTrue(t.echidna_G1_timelock(), "G1_ONLY_TIMELOCK");
    }
}
