// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Tester} from "./Tester.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Fixed call sequences on the shared harness: the smoke test proves every handler can do its job (so a green
/// campaign is not a campaign of no-ops), and each `test_replay_*` replays a counterexample an engine found, as a
/// regression test (medusa and Echidna print the sequence; paste it here as calls on `t`).
contract CryticToFoundry is Test {
    Tester internal t;

    function setUp() public {
        t = new Tester();
    }

    /// @dev Every property, with the first failed postcondition as the message.
    function _assertAll() internal {
        (uint256 bookOut, uint256 bookIn, uint256 debtOut, uint256 debtIn, uint256 rounding) = t.ledgers();
        emit log_named_uint("book + outflows", bookOut);
        emit log_named_uint("inflows", bookIn);
        emit log_named_uint("debt + repaid + closed", debtOut);
        emit log_named_uint("lent + interest", debtIn);
        emit log_named_uint("rounding budget", rounding);
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

    function _ok(bytes32 action) internal view returns (uint256) {
        return t.okCount(action);
    }

    /// @notice A scripted tour through every handler: lend, borrow (721, 1155, trait), repay, renew, crash the
    /// floor, auction (buy and no-bid settle), hostile and blocklisted counterparties, donations, governance.
    function test_smoke_everyHandlerDoesItsJob() public {
        t.deposit(1, 500_000e6, 1);
        t.mint(2, 1e17, 2);
        t.borrow(1, 0, 0, 10_000e6, 0); // ERC-721, actor 1
        t.borrow(2, 1, 5, 500e6, 1); // ERC-1155 id 2, 5 units, actor 2
        t.borrow(3, 0, 0, 12_000e6, 0); // ERC-721, actor 3
        t.rotateTraitRoot(20_000, 60_000, 10 days, false); // premiums 20k and 60k USDC
        t.borrowTrait(0, 0, 20_000e6, 0);
        t.borrowTrait(0, 1, 20_000e6, 1); // tampered premium: refused
        assertEq(_ok("borrow721"), 2, "borrow721");
        assertEq(_ok("borrow1155"), 1, "borrow1155");
        assertEq(_ok("borrowTrait"), 1, "borrowTrait");

        t.warpTime(4 * 3 hours + 1); // ~3 h
        t.repayPartial(0, 1, 1000e6);
        t.renew(0, 1, true, 1);
        t.withdraw(1, 10_000e6, 1);
        t.redeem(2, 1e15, 2);
        t.transferShares(1, 3, 1e12);
        t.roundTrip(3, 5000e6);
        t.withdrawOnBehalf(3, 1, 100e6);
        t.borrowOthersNft(0, 0, 1000e6);

        // The borrower of the ERC-1155 loan rejects transfers: its repayment still succeeds, units claimable.
        t.setActorMode(2, 1);
        t.repayFull(1, 0, false);
        t.claimNft(2, 1);

        // Crash the ape floor and re-anchor: the ape loans become liquidatable.
        t.oracleCrash(0, 0, false); // floor to 30 %
        t.oracleRecover(0);
        t.startAuction(0, 0, true, 1);
        t.startAuction(1, 3, true, 1);
        t.startAuction(2, 2, true, 1);
        assertGe(_ok("startAuction"), 2, "startAuction");
        t.probeAuction(0);
        t.buy(0, 0, false, false);
        // Past the 36 h auction, keeping the oracle fresh (its outages stop the auction clock).
        for (uint256 k; k < 4; ++k) {
            t.warpTime(4 * 36_000); // 11 h
            t.oracleRecover(0);
        }
        t.settle(0, 3, false, false);
        assertEq(_ok("buy"), 1, "buy");
        assertGe(_ok("settle"), 1, "settle");
        t.claim(0, 0);

        // Oracle noise, outages and recovery.
        t.oracleTick(1, 11_000, 10_500);
        t.oracleOutage(1, 1, 0);
        t.checkpoint(1);
        t.oracleRecover(1);
        t.donateAsset(1000e6);
        t.donateApe(1);
        t.donateItems(1, 0, 2);
        t.toggleBlocklist(3);

        // Governance: guardian tightening, timelocked changes after the delay, and refused attempts.
        t.guardianAct(0, 0, 0);
        t.proposeChange(1, 7, 9); // rates (unpauses)
        t.proposeChange(9, 0, 0); // upgrade
        t.proposeChange(0, 4, 5); // terms
        t.executeChange(0, true, 0, 0, 0);
        t.executeChange(0, true, 0, 0, 0);
        t.executeChange(0, true, 0, 0, 0);
        t.attackAdmin(0, 4, 0);
        t.attackAdmin(0, 9, 0);
        assertEq(_ok("guardianAct"), 1, "guardianAct");
        assertEq(_ok("attackAdmin"), 2, "attackAdmin");

        // Whatever is still open can be repaid in full.
        t.repayFull(0, 0, false);
        _assertAll();
    }

    /// @notice The deep liquidation states the mutation check needs: a loan near its limit, a lasting price drop,
    /// then renewal refused (health check), the auction started, repaid in auction, another bought with a keeper cut.
    function test_liquidationStatesReachable() public {
        t.deposit(0, 1_000_000e6, 0);
        t.borrow(1, 0, 0, 16_000e6, 0); // ape, near the limit
        t.borrow(2, 0, 0, 16_000e6, 0);
        t.borrow(3, 0, 0, 16_000e6, 0);
        t.priceShock(0, 0); // floor to 20 %, re-anchored
        t.renew(0, 1, false, 1);
        assertEq(_ok("renew"), 0, "renewal of an unhealthy loan must be refused");
        t.startAuction(0, 2, false, 1);
        t.startAuction(0, 2, false, 1);
        assertEq(_ok("startAuction"), 2, "startAuction");
        t.repayFull(0, 0, true);
        assertEq(_ok("repayInAuction"), 1, "repayInAuction");
        t.buy(0, 3, false, false);
        assertEq(_ok("buy"), 1, "buy");
        _assertAll();
    }
}
