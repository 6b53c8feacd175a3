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
        assertGe(_ok("settle") + _ok("relist"), 1, "settle (issue 14: the first settlement relists)");
        t.claim(0, 0);

        // Oracle noise, outages and recovery.
        t.oracleTick(1, 11_000, 10_500);
        t.oracleOutage(1, 1, 0);
        t.checkpoint(1);
        t.oracleRecover(1);
        t.priceShock(1, 10_000); // a lasting move of 0 %: re-anchored where it stands
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
        _assertEveryAction();
        _assertAll();
    }

    /// @dev The tour's exact tally: each action accepted as often as the script above performs it, and nothing
    /// refused but the tampered trait premium. A handler that returns quietly when the system refuses it (or counts
    /// a refusal as done) fails here.
    function _assertEveryAction() internal view {
        string[28] memory names = [
            "deposit",
            "mint",
            "withdraw",
            "redeem",
            "transferShares",
            "roundTrip",
            "claim",
            "borrow721",
            "borrow1155",
            "borrowTrait",
            "repayPartial",
            "repayFull",
            "repayInAuction",
            "renew",
            "claimNft",
            "startAuction",
            "buy",
            "settle",
            "relist",
            "oracleTick",
            "oracleCrash",
            "priceShock",
            "oracleOutage",
            "rotateTraitRoot",
            "donateAsset",
            "donateApe",
            "guardianAct",
            "attackAdmin"
        ];
        // 2 ape loans (actors 1, 3); 3 auctions started (apes 1 and 3, and the trait loan); 1 bought, 1 settled
        // without a bid (issue 14: its first no-bid settlement relists it, so "relist" and not "settle"), the last
        // repaid in auction; the ERC-1155 loan repaid in full.
        uint8[28] memory accepted = [1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 3, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2];
        for (uint256 i; i < names.length; ++i) {
            bytes32 a = bytes32(bytes(names[i]));
            assertEq(t.okCount(a), accepted[i], string.concat("accepted ", names[i]));
            assertEq(t.refusedCount(a), a == "borrowTrait" ? 1 : 0, string.concat("refused ", names[i]));
        }
        assertEq(t.okCount("proposeChange"), 3, "proposeChange");
        assertEq(t.refusedCount("executeChange"), 0, "executeChange refused");
        // The three changes executed after the delay: rates (kind 1), pool upgrade (9), terms (0).
        uint8[3] memory kinds = [1, 9, 0];
        for (uint256 i; i < kinds.length; ++i) {
            assertEq(t.okCount(bytes32(uint256(keccak256(abi.encode("exec", kinds[i]))))), 1, "executeChange");
        }
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

    /*//////////////////////////////////////////////////////////////
                   REPLAYS OF FUZZER COUNTEREXAMPLES
    //////////////////////////////////////////////////////////////*/

    // No campaign has found a bug in the real core. These are the shrunk sequences with which the forge campaign
    // killed each mutant of invariants/mutants/mutants.json (`make mutants`): they pass on the real code and fail
    // again if that bug comes back. New counterexamples from any engine go here the same way.

    /// @notice Found by the campaign against mutant M01 (skip accrual on deposit): A4_PRICE.
    function test_replay_M01_depositAfterInterest_previewMatches() public {
        t.rotateTraitRoot(9509, 11914, 96363, false);
        t.borrowTrait(36, 7200, 21461, 1851080548);
        t.settle(3655398373250655533014717094650703831362591415, 300913054340610233717705498528029081989336997251535999064192523684770847655, false, true);
        t.deposit(3722900612668836092747021379727, 8253758575367, 115792089237316195423570985008687907853269984665640564039457584007913129639933);
        _assertAll();
    }

    /// @notice Found by a 10,000-run campaign (seed 0x22868a67): the guardian lowers the apes' ceiling to 0, then
    /// lowers a per-borrower cap where none was set. The harness asked for a first cap of 1, above the ceiling, which
    /// the pool rightly refuses as a loosening; the guardian's only tightening there is "no cap of its own".
    function test_replay_guardianCapUnderZeroCeiling() public {
        t.guardianAct(62, 144387728130170201603961228401796, 0);
        t.guardianAct(542978676637751, 1868045975864773431510449999796215612437955516020754, 745309676936896591);
        _assertAll();
    }

    /// @notice Written by hand for mutant M02 (a new loan's scaled debt rounded down), after the campaign's own
    /// counterexample stopped reaching it: a first loan makes the borrow index grow over 10 h, so the next loans'
    /// principals do not divide it evenly; rounded down, one of them owes a wei less than it drew and the book falls
    /// below what was lent (A1_LEDGER; which of the three loses the wei depends on the index, hence three).
    function test_replay_M02_newLoanDebtRoundsUp() public {
        t.borrow(1, 0, 0, 10_000e6, 0);
        t.warpTime(4 * 36_000); // a long step: 10 h
        t.borrow(2, 1, 0, 7_777_777_777, 0);
        t.borrow(3, 2, 0, 3_333_333_331, 0);
        t.borrow(0, 3, 0, 1_234_567_891, 0);
        assertEq(t.okCount("borrow721"), 4, "every borrow accepted");
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M03 (round the wrong way: redeem pays assets rounded up): A4_PRICE / A5_NO_FREE_VALUE.
    function test_replay_M03_redeemRoundsDown() public {
        t.redeem(7200, 256, 72000);
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M04 (forget to return the collateral on full repayment): L5_RETURN / L2_CUSTODY_721.
    function test_replay_M04_fullRepayReturnsNft() public {
        t.borrow(2386097244491197374756375225, 0, 6155281555902568040165005273382665, 160647574008027510059027610812050727293768025490667615541233888, 239371539672);
        t.repayFull(4920, 500, false);
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M05 (forget to clear the loan commitment at settlement): L4_STATE_MACHINE.
    function test_replay_M05_settledLoanStaysClosed() public {
        t.borrow(3228217005884642654964018546143064192275959090779, 20707525860996403511435941617253196918091770560188345036092368290178967, 788171460, 12946459834385805773652921740868731779025123680444641206, 56234921881590437);
        t.buy(699362723652567870531298258755668773552442797287509824942686223884598, 115792089237316195423570985008687907853269984665640564039457584007913129639933, false, true);
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M06 (skip the health check at auction start): L7_HEALTHY_NOT_AUCTIONABLE.
    function test_replay_M06_healthyLoanNotAuctioned() public {
        t.borrow(4379, 7, 42000000000000000000, 40922398733250764638215957071247437429864061494219881780750408329752202234130, 19313);
        t.startAuction(12083, 1800, true, 1700000000);
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M07 (LTV check at twice the limit): L1_ORIGINATION.
    function test_replay_M07_traitBorrowWithinLtv() public {
        t.rotateTraitRoot(7900, 500, 20000000000000000, false);
        t.borrowTrait(335388527146944420169815713317022522682, 25884123733950365232783353350305700449626657605676630636346841006303241440076, 411102246417726854892716, 383687534392);
        _assertAll();
    }

    /// @notice Written by hand for mutant M08 (bad debt written off but not recorded), after the campaign's own
    /// counterexample stopped reaching the write-off (since issue 14 a no-bid settlement relists three times first):
    /// one loan put up for auction and settled without a bid four times; the fourth writes the debt off (B2_WATERFALL).
    function test_replay_M08_noBidSettleRecordsBadDebt() public {
        t.borrow(1, 0, 0, 10_000e6, 0);
        for (uint256 k; k < 4; ++k) {
            t.settle(0, 1, true, k == 0);
        }
        assertEq(_ok("relist"), 3, "three no-bid rounds relisted");
        assertEq(_ok("settle"), 1, "the fourth closed the loan");
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M18 (a recovery released at once, issue 14): R1_ROUND_TRIP. A
    /// deposit, the purchase of a running auction and a redemption in one block gained the depositor part of it.
    function test_replay_M18_roundTripAroundPurchaseGainsNothing() public {
        t.borrow(
            2674440631799931438033931149896238209538747,
            23930085210834710989000716299745673216230599080879725137041,
            2447294889457935472193870260910282133933978162236042437,
            20820500377963813330606054447818752030,
            185333344011931257333677213
        );
        t.startAuction(208, 11730, true, 86400);
        t.roundTrip(13, 2447, 4560, 5637);
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M09 (impairment not released when a loan in auction is repaid): A3_DEBTS.
    function test_replay_M09_repayInAuctionReleasesImpairment() public {
        t.borrow(678018493804445751149885391214548051754, 7286029394053571816027288013713332505735791451269179588684083, 70223447858741499278840534529535713793058934355659, 683531316381595471479220046090623995268180630693053739867281, 16060666);
        t.repayFull(138, 13077, true);
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M10 (reserve takes twice its share of interest): I3_RESERVE_SHARE.
    function test_replay_M10_reserveTakesItsShareOnly() public {
        t.borrow(2386097244491197374756375225, 0, 6155281555902568040165005273382665, 160647574008027510059027610812050727293768025490667615541233888, 239371539672);
        t.oracleTick(60672900498740148821494491130755660280636338442113518904, 14623970680111479108719486177691, 242209349163616);
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M11 (keeper reward also left in cash (counted twice)): A2_BACKING.
    function test_replay_M11_keeperRewardNotInCash() public {
        t.borrow(3228217005884642654964018546143064192275959090779, 20707525860996403511435941617253196918091770560188345036092368290178967, 788171460, 12946459834385805773652921740868731779025123680444641206, 56234921881590437);
        t.buy(699362723652567870531298258755668773552442797287509824942686223884598, 115792089237316195423570985008687907853269984665640564039457584007913129639933, false, true);
        _assertAll();
    }

    /// @notice Found by the campaign against mutant M12 (no reentrancy lock on repay): R1_REENTRANCY.
    function test_replay_M12_reenteringBorrowerHitsLock() public {
        t.borrow(4569593015275313268801292433763459125258985975136010595216640118497, 23105473457678276489412125813, 44320846306, 112, 5148699074989236184715262109176416546523105246546691855434378013977);
        t.setActorMode(5973, 17);
        t.repayFull(6267795610410616452487963515111139152974180389247799864858514475392, 2, true);
        _assertAll();
    }

    /// @notice Written by hand for mutant M13 (a renewal skips the health check), after the campaign's own
    /// counterexample stopped reaching it: one loan, its price shocked down to a fifth inside the renewal call, then
    /// the borrower renews; the renewal must be refused (L1_ORIGINATION). On the mutant it is accepted.
    function test_replay_M13_unhealthyRenewalRefused() public {
        t.borrow(1, 0, 0, 10_000e6, 0);
        t.renew(0, 1, false, 0); // shock 0: the price falls to 20 % first; payer seed 1: the borrower itself
        assertEq(_ok("renew"), 0, "an unhealthy renewal was accepted");
        _assertAll();
    }

    /// @notice Written by hand for mutant M14 (a rate change without accruing first), after the campaign's own
    /// counterexample stopped reaching it (it chose a change by `kind % N_OPS`, and new kinds moved the rate change):
    /// one loan, then the timelock's rate change run after its 48 h delay. Before the change the loan owes 48 h of
    /// interest at the old rate; on the mutant the new rate is charged over those 48 h at once (L8_TERMS_FIXED).
    function test_replay_M14_rateChangeAccruesFirst() public {
        t.borrow(1, 0, 0, 10_000e6, 0);
        t.executeChange(0, true, 1, 7, 3); // kind 1: OP_RATES
        assertEq(_ok(bytes32(uint256(keccak256(abi.encode("exec", uint8(1)))))), 1, "the rate change did not run");
        _assertAll();
    }

    /// @notice Written by hand for mutants M15 and M16 (the index grows at 101 % or 99 % of the kink rate): ten hours
    /// of interest on one loan, which I4_INTEREST must find to be the configured rate's.
    function test_replay_M15_interestAtTheKinkRate() public {
        t.borrow(1, 0, 0, 10_000e6, 0);
        t.warpTime(4 * 36_000); // a long step: 10 h
        _assertAll();
    }

    function test_replay_M16_interestAtTheKinkRate() public {
        test_replay_M15_interestAtTheKinkRate();
    }

    /// @notice Written by hand for mutant M17 (every borrow refused as paused): a plain borrow on a fresh pool must be
    /// accepted, not returned from quietly.
    function test_replay_M17_borrowAcceptedWhileUnpaused() public {
        t.borrow(1, 0, 0, 10_000e6, 0);
        assertEq(t.okCount("borrow721"), 1, "borrow721 accepted");
        assertEq(t.refusedCount("borrow721"), 0, "borrow721 refused");
    }

    /// @notice Mutant M19 (issue 14 review F1: deposits priced on the written-down value again): a lender deposits
    /// after an auction starts and the auction is bought; valued once the recovery unlocks, its shares must be worth
    /// at most the deposit (R2_LATE_ENTRY). On the mutant they are worth its share of the recovery more.
    function test_replay_M19_lateEntryTakesNoRecovery() public {
        t.borrow(3614526023000995988228218934518230531975282788451046348773302679, 12794654946430575949971623185287032218, 115792089237316195423570985008687907853269984665640564039457584007913129639932, 166911003776222681099339116, 4338683075209597815480844);
        t.startAuction(0, 1, true, 0);
        t.lateEntry(2, 1e30, 0, 3);
        assertEq(_ok("lateEntry"), 1, "late entry did not run");
        _assertAll();
    }

    /// @notice Mutant M20 (an auction start takes its frozen debt out of the collection's exposure): an ape loan falls
    /// to 20 % and is put up for auction; the guardian lowers the ceiling to the exposure and a minimum loan is tried
    /// at once (the E1 probe in `startAuction`). On the mutant the start freed room and the borrow is accepted.
    function test_replay_M20_auctionFreesNoRoomUnderTheCeiling() public {
        t.borrow(1, 0, 0, 16_000e6, 0); // ape, near the limit
        t.startAuction(0, 2, false, 0); // shock to 20 %, start, then the E1 probe
        assertEq(_ok("startAuction"), 1, "the auction did not start");
        assertEq(_ok("borrow721"), 1, "the probe's borrow must be refused");
        _assertAll();
    }

    /// @notice Mutant M25 (outages do not extend due dates), found by its campaign (run 2, shrunk to this call): the
    /// lateness probe opens a minimum loan and runs time to one second past its unextended due date plus grace; the
    /// valuation's outages over that time extend the due date, so the healthy loan is not late (L7). On the mutant
    /// the pool auctions it.
    function test_replay_M25_outageExtendsTheDueDate() public {
        t.startAuction(179468864533420827414865610383027565777398496677876281751296966, 273776815473712737705678032405667581, false, 4732805333735493697070);
        assertEq(_ok("borrow721") + _ok("borrow1155"), 1, "the probe opened no loan");
        assertEq(_ok("latenessProbe"), 1, "the price was not usable at the due date");
        assertEq(_ok("startAuction"), 0, "a healthy loan within its extended due date was auctioned");
        _assertAll();
    }

    /// @notice The lateness probe with the floor feed silent until the unextended due date: the whole wait is an
    /// outage, so the due date moves by (at most) one term and the loan is not late.
    function test_latenessProbe_silentFeedExtendsTheDueDate() public {
        t.startAuction(0, 1, false, (uint256(12) << 128) + 2);
        assertEq(_ok("borrow721"), 1, "the probe opened no loan");
        assertEq(_ok("latenessProbe"), 1, "the price was not usable at the due date");
        assertEq(_ok("startAuction"), 0, "a healthy loan within its extended due date was auctioned");
        _assertAll();
    }

    /// @notice Mutant M26 (the auction start is not lifted to the bound of the deviation in force): the timelock
    /// raises the apes' deviation to 40 % (above the 16.7 % the terms' 120 % start covers); the probe that follows
    /// opens a loan at the LTV limit, drops the price to 30 % and starts its auction, whose start must be at least
    /// value / (1 - 40 %) (B7). On the mutant it starts at 120 % of the value.
    function test_replay_M26_startCoversTheRaisedDeviation() public {
        t.executeChange(0, true, 6, 0, uint256(3900) << 32);
        assertEq(_ok("deviationProbe"), 1, "the probe found no usable price");
        assertEq(_ok("startAuction"), 1, "the probe's auction did not start");
        _assertAll();
    }
    /// @notice medusa, CI run of 2026-12-06 (B1_PRICE_CURVE, shrunk to 4 calls): the timelock executes a change (which
    /// records the apes' outage clock), an auction is probed, then the floor feed's round is made stale in the past
    /// (its `updatedAt` rewritten 9 days back), and a late entrant buys in the same second. The valuation counts that
    /// outage from its last record on (one second earlier), so the auction clock moves back one second and the price
    /// rises by 2,830 units of 279 million.
    function test_replay_backdatedStaleRoundMovesTheClockBackToTheRecord() public {
        t.executeChange(3525255692828225523264192934168196932708363258594877448305733644287861657681, true, 33437981873910287210606597247487424352959117510785173258884362319247139022754, 3618502788666131106986593281521497120414687020808132223416502934416177670617, 2567101358445775667994401784689521308061210295676184953688153351378104343300);
        vm.warp(block.timestamp + 1);
        vm.roll(block.number + 1);
        t.probeAuction(2003298578656212926865604286803947450791942877000038075435691221997799421377);
        t.oracleOutage(145926165507494912639809057405982764600398236007019093709184676198594760105, 33424482259231830212460892454480761470546767369592283483222831352253615, 92635812022489477803217154345675145800235827009790921856369684605486566);
        t.lateEntry(2772685133151269092674301320647677995789281325150124494411366011604710291161, 4463251942517131161201349708754616579006695711544714550719706892024134, 6082184944319747745810330058749234845045946350599386064380244277016725944, 22165136037363020789624348844211883416042734416795524059336151660854754713);
        assertEq(_ok("lateEntry"), 1, "the late entrant did not buy");
        _assertAll();
    }

    /// @notice forge campaign, seed 0x4980977f (E1_EXPOSURE, shrunk to 6 calls): an earlier start's E1 probe lowered
    /// the items' ceiling to 100.0006 USDC, the exposure then; once that auction closed, the lateness probe of the last
    /// start opens a minimum loan (admitted under the ceiling) and runs two days toward its due date in the same step,
    /// so interest takes the exposure past the ceiling. E1 read the exposure back to the index before the step only;
    /// it now reads it back to the index at which the step's loan was admitted.
    function test_replay_seed4980977f_E1() public {
        vm.prank(address(uint160(1441182896161576751660826667084512338399089106155)));
        try t.borrow(176, 3446, 2772685133151269092674301320647677995789281325150124494411366011604710291161, 138, 23930085210834710989000716299745673216230599080879725137041) {} catch {}
        vm.prank(address(uint160(558714396193106808531337366873065814789368292922)));
        try t.settle(12483428677343961, 41285488765478872610969151073030787897047039343568366624848021389166, true, true) {} catch {}
        vm.prank(address(uint160(1913)));
        try t.startAuction(88481143193390689, 810049975207670071641426268093, false, 2289207344792483904068287516490688300389010284202565557303) {} catch {}
        vm.prank(address(uint160(1267626626678360097774586422948246650661292144445)));
        try t.roundTrip(2114944311238300902885581650258564788762397722254929660942, 2874303957783831574155092052382212765274065066723555044124192757, 308022901553532910784411388638786377672026595, 16025474883409052) {} catch {}
        vm.prank(address(uint160(7742)));
        try t.oracleOutage(455623569916473605737148763246925898991399267010967, 90874538, 4635135972170750) {} catch {}
        vm.prank(address(uint160(9759)));
        try t.startAuction(4345, 21281, false, 89111) {} catch {}
        _assertAll();
    }

    /// @notice forge campaign in CI, seed 0x4980977f (O4_TRAIT at run 9,384; 15 calls, the 7 forge first printed do not
    /// fail on their own): two signer rotations are proposed before either executes, and each named the key of the
    /// generation after the one at its proposal, so both named the same signer. After both ran, the pricer's
    /// generation was two on and the harness signed an honest root with the key of that generation, which no rotation
    /// had set: the pricer refused it and O4 failed. The protocol was right; each proposal now carries a key of its
    /// own and the harness signs with the key the last executed rotation set.
    function test_replay_seed4980977f_O4_twoSignerRotationsPending() public {
        vm.prank(address(uint160(5294)));
        try t.proposeChange(151781581120149120728147597360605959619660428523387, 268967051212174349109834608121129530027877941394, 5426634143994494312293814190) {} catch {}
        vm.prank(address(uint160(22976)));
        try t.proposeChange(6383907051986612450387311925110368264475137659007739460000967180523, 6259645890870114, 34837566781586298144403316816905466860557257269947241) {} catch {}
        vm.prank(address(uint160(20131)));
        try t.startAuction(22158, 259200, true, 8780) {} catch {}
        vm.prank(address(uint160(17898)));
        try t.rotateTraitRoot(11, 60672900498740148821494491130755660280636338442113518904, 4338683075209597815480844, true) {} catch {}
        vm.prank(address(uint160(707728703659625528205925273521957408522463835226)));
        try t.setActorMode(135949230790162099698229380974427859232421749269156061188329976594089019286, 312696161617163096870904891529854712292217807255928112373460834802) {} catch {}
        vm.prank(address(uint160(14295)));
        try t.executeChange(1, true, 7036619425348661702527151943024436391681321437208017, 65623565907389786191583008, 41456820989099501183756722152375062980777419337992432633318697) {} catch {}
        vm.prank(address(uint160(2739)));
        try t.repayPartial(153624542345544872388610197351911293436912720203895145289025994186791517, 59976146924761247739783962576393701136304376349360957505553247127065, 377779040280268432098436940592791085544402071392338654305064080377898478976) {} catch {}
        vm.prank(address(uint160(9334)));
        try t.executeChange(1898413733, false, 1752556, 3724351536029008082996663284324, 58353343952816645095700427020161385714) {} catch {}
        vm.prank(address(uint160(735698226038538740216025209221872064378615335491)));
        try t.repayPartial(16060666, 637, 4920) {} catch {}
        vm.prank(address(uint160(758279170)));
        try t.proposeChange(834208980, 213453, 1121078683216254031979958726437288935505) {} catch {}
        vm.prank(address(uint160(18421)));
        try t.withdrawOnBehalf(115792089237316195423570985008687907853269984665640564039457584007913129639934, 51855142879237889104016449169960, 1) {} catch {}
        vm.prank(address(uint160(702054290223095988357317643872983821388442742933)));
        try t.donateApe(141709365375504175551749855876965104186084075773650823738540260944) {} catch {}
        vm.prank(address(uint160(1082457396139205591584689380562987964170653861072)));
        try t.borrow(49958882271940797810366502812364438105293963516830801193112892031321227302176, 18276488399, 3349016303861252058305333, 6381746680686075922972188507229, 115792089237316195423570985008687907853269984665640564039457584007913129639933) {} catch {}
        vm.prank(address(uint160(76008)));
        try t.probeAuction(115792089237316195423570985008687907853269984665640564039457584007913129639932) {} catch {}
        vm.prank(address(uint160(576)));
        try t.rotateTraitRoot(115792089237316195423570985008687907853269984665640564039457584007913129639934, 18904805855501922, 1237141136497938482326961051374701040970772957, false) {} catch {}
        assertEq(_ok("rotateTraitRoot"), 1, "the honest root under the rotated signer was not published");
        _assertAll();
    }
}
