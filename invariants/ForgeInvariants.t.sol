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

    function invariant_postconditions() public view {
        assertTrue(t.echidna_postconditions(), t.firstFailure());
    }

    function invariant_A1_ledger() public view {
        assertTrue(t.echidna_A1_ledger(), "A1_LEDGER");
    }

    function invariant_A1_debt() public view {
        assertTrue(t.echidna_A1_debt(), "A1_DEBT");
    }

    function invariant_A1_assets() public view {
        assertTrue(t.echidna_A1_assets(), "A1_ASSETS");
    }

    function invariant_A2_backing() public view {
        assertTrue(t.echidna_A2_backing(), "A2_BACKING");
    }

    function invariant_A3_shares() public view {
        assertTrue(t.echidna_A3_shares(), "A3_SHARES");
    }

    function invariant_A3_debts() public view {
        assertTrue(t.echidna_A3_debts(), "A3_DEBTS");
    }

    function invariant_A6_maxWithdraw() public view {
        assertTrue(t.echidna_A6_maxWithdraw(), "A6_LIQUIDITY");
    }

    function invariant_L2_custody721() public view {
        assertTrue(t.echidna_L2_custody721(), "L2_CUSTODY_721");
    }

    function invariant_L3_custody1155() public view {
        assertTrue(t.echidna_L3_custody1155(), "L3_CUSTODY_1155");
    }

    function invariant_L4_commitments() public view {
        assertTrue(t.echidna_L4_commitments(), "L4_STATE_MACHINE");
    }

    function invariant_B4_frozenDebt() public view {
        assertTrue(t.echidna_B4_frozenDebt(), "B4_FROZEN_DEBT");
    }

    function invariant_I2_rate() public view {
        assertTrue(t.echidna_I2_rate(), "I2_RATE");
    }

    function invariant_O1_valueBounds() public view {
        assertTrue(t.echidna_O1_valueBounds(), "O1_VALUE_BOUNDS");
    }

    function invariant_G1_timelock() public view {
        assertTrue(t.echidna_G1_timelock(), "G1_ONLY_TIMELOCK");
    }
}
