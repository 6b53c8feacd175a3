// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolAdmin} from "../../src/interfaces/ILendingPoolAdmin.sol";
import {ILendingPoolCore} from "../../src/interfaces/ILendingPoolCore.sol";
import {ILendingPoolExtension} from "../../src/interfaces/ILendingPoolExtension.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {Actor} from "../base/Actor.sol";
import {HandlerBase} from "../base/HandlerBase.sol";

/// @notice Liquidation through the real DutchAuction: start (anyone, healthy loans refused), buy at the current
/// price (anyone), settle after the end without a buyer (anyone), and a price probe.
abstract contract LiquidationHandler is HandlerBase {
    /// @notice L7: starts an auction on a live loan, healthy or not; it must succeed exactly for liquidatable loans
    /// while the oracle works.
    /// @param shock One call in three first moves the collection's price to 20-70 % (re-anchored), so liquidatable
    /// loans are common and the auction paths get exercised.
    function startAuction(uint256 loanSeed, uint256 keeperSeed, bool fresh, uint256 shock) external step {
        // Lateness probe, one call in six (never with a shock): a new loan, then time runs to one second past its due
        // date plus grace, with the floor feed silent (an outage: the due date moves, the loan is not late) or kept
        // fresh (no outage: late); the pool must judge lateness as the harness does (L7; mutant M25).
        if (shock % 3 == 2 && (shock >> 128) % 3 == 0) {
            _latenessProbe(loanSeed, keeperSeed, (shock >> 130) % 2 == 0);
            return;
        }
        (bool found, uint256 i) = _pickState(loanSeed, false);
        if (!found) _skip();
        if (shock % 3 == 0) _shock(live[i].loan.collection, _bound(shock >> 2, 2000, 7000));
        address c = live[i].loan.collection;
        // E1 probe, two calls in three: after a start the guardian lowers the ceiling to the exposure (live + frozen
        // debt), so the frozen debt is exactly what stands between the live debt and the ceiling: any new loan must be
        // refused, and one is tried at once (the worst order: an auction frees no room for a borrow; mutant M20).
        if (_startAuctionAt(i, _actor(keeperSeed), fresh) && shock % 3 != 2) {
            (uint256 e, uint256 ceiling) = _exposure(c);
            if (e < ceiling) {
                (bool ok,) = guardian.exec(address(pool), abi.encodeCall(ILendingPoolAdmin.setDebtCeiling, (c, e)));
                _check(ok, G1_ONLY_TIMELOCK);
            }
            _borrowAtCeiling(c, _actor(shock >> 8));
        }
    }

    /// @dev Opens a minimum loan (healthy throughout), runs time to one second past its unextended due date plus
    /// grace (the feed silent, or refreshed every 20 hours when `fresh`), refreshes the price and tries the auction.
    function _latenessProbe(uint256 seed, uint256 keeperSeed, bool fresh) internal {
        address c = seed % 2 == 0 ? address(apes) : address(items);
        (bool opened, uint256 i) = _openLoan(c, seed >> 1, false);
        if (!opened) return;
        ILendingPoolTypes.Loan memory l = live[i].loan;
        uint256 lateAt = uint256(l.dueTime) + pool.terms(l.collection, l.termsId).grace + 1;
        while (fresh && block.timestamp + 20 hours < lateAt) {
            _warp(20 hours);
            _revive(c);
        }
        if (lateAt > block.timestamp) _warp(lateAt - block.timestamp);
        if (!_revive(c)) return;
        _count("latenessProbe"); // priced: the start below is judged on the due date alone
        _startAuctionAt(i, _actor(keeperSeed), false);
    }

    /// @dev E1: with the ceiling at the exposure, a minimum loan against a fresh NFT of collection `c` is refused
    /// (for the ceiling, or any other reason); one accepted is a failure on the spot (and is not tracked).
    function _borrowAtCeiling(address c, Actor a) internal {
        if (a.mode() == Actor.Mode.Reject || _blocked(address(a))) return;
        (uint256 e, uint256 ceiling) = _exposure(c);
        if (e < ceiling) return; // the guardian could not lower it to the exposure (a lower one is already set)
        uint256 id;
        if (c == address(apes)) {
            id = nextApeId++;
            apes.mint(address(a), id);
            apeIds.push(id);
        } else {
            id = 1;
            items.mint(address(a), id, 1);
        }
        _freshen(c); // a usable price: only the ceiling may refuse
        uint256 principal = pool.rateConfig().minLoan;
        if (principal < MIN_LOAN) principal = MIN_LOAN;
        (bool ok,) = a.exec(
            address(pool),
            abi.encodeCall(ILendingPoolCore.borrow, (c, id, 1, principal, address(a), 0, new bytes32[](0)))
        );
        if (ok) _fail(E1_EXPOSURE, e, ceiling);
    }

    /// @notice B5: anyone funded can buy at the current price, whoever the borrower and keeper are.
    /// @param setup When no auction runs, first starts one (price shock included) on a live loan.
    function buy(uint256 loanSeed, uint256 buyerSeed, bool hostile, bool setup) external step {
        (bool found, uint256 i) = setup ? _ensureAuction(loanSeed, buyerSeed) : _pickAuction(loanSeed);
        if (!found) return;
        LoanRec memory r = live[i];
        Actor buyer = hostile ? _actor(buyerSeed) : _honestActor(buyerSeed);
        if (address(buyer) == address(0) || _blocked(address(buyer)) || buyer.mode() == Actor.Mode.Reject) _skip();
        uint256 price = _probePrice(i);
        _fund(buyer, price);
        bool armed = _armBuyer(buyer, r);
        Expect memory e = _expectSettle(r, price);
        if (r.loan.collection == address(items)) e.buyerUnitsBefore = items.balanceOf(address(buyer), r.loan.tokenId);

        (bool ok, bytes memory ret) =
            buyer.exec(address(auction), abi.encodeCall(DutchAuction.buy, (r.id, r.loan, r.auc, price)));
        if (armed) buyer.disarm();
        if (!ok) {
            _fail(B5_SETTLE_LIVENESS, r.id, price);
            refusedCount["buy"] += 1;
            return;
        }
        _checkEq(abi.decode(ret, (uint256)), price, B5_SETTLE_LIVENESS);
        if (armed) _checkProbeBuyer(buyer);
        _checkNftTo(r.loan, address(buyer), e.buyerUnitsBefore);
        _checkSettled(r, e);
        gPenaltyKept += e.penaltyKept;
        _count("buy");
        _closeLoan(i);
    }

    /// @notice B5: after its (outage-extended) duration anyone can close an auction that found no buyer; before, no one.
    /// @param waitToEnd First lets the auction run out, keeping the oracle fresh (its outages stop the clock).
    /// @param setup When no auction runs, first starts one (price shock included) on a live loan.
    function settle(uint256 loanSeed, uint256 callerSeed, bool waitToEnd, bool setup) external step {
        (bool found, uint256 i) = setup ? _ensureAuction(loanSeed, callerSeed) : _pickAuction(loanSeed);
        if (!found) return;
        LoanRec memory r = live[i];
        for (uint256 k; waitToEnd && k < 4; ++k) {
            uint256 ran = auction.elapsed(r.loan.collection, r.auc);
            if (ran >= r.auc.duration) break;
            uint256 rest = r.auc.duration - ran;
            _warp(rest < 20 hours ? rest : 20 hours);
            _freshen(r.loan.collection);
        }
        Actor caller = _actor(callerSeed); // even one the token refuses: settling moves no tokens of the caller
        bool ended = auction.elapsed(r.loan.collection, r.auc) >= r.auc.duration;
        Expect memory e = _expectSettle(r, 0);
        uint256 callerClaimBefore = pool.claimable(address(caller));
        (bool ok, bytes memory ret) =
            caller.exec(address(auction), abi.encodeCall(DutchAuction.settle, (r.id, r.loan, r.auc)));
        if (!ended) {
            _check(!ok, B5_SETTLE_LIVENESS);
            if (!ok) refusedCount["settleEarly"] += 1; // refused before the end, as it must be
            return;
        }
        if (!ok) {
            _fail(B5_SETTLE_LIVENESS, r.id, 0);
            refusedCount["settle"] += 1;
            return;
        }
        // Issue 14: the settler is paid (a claim booked at the start; owed when idle cash cannot pay it): an outflow for
        // the ledger (A1 adds what is still owed back on the other side).
        uint256 reward = pool.claimable(address(caller)) - callerClaimBefore;
        gSettlerRewards += reward;
        if (address(caller) == r.loan.borrower) e.borrowerClaimBefore += reward;
        if (address(caller) == r.auc.keeper) e.keeperClaimBefore += reward;
        if (r.auc.round < auction.MAX_RELISTS()) {
            // Issue 14: an unsold round is relisted; the NFT stays, the next round is what buy and settle take.
            (, live[i].auc, live[i].loan) = abi.decode(ret, (uint256, IDutchAuction.Auction, ILendingPoolTypes.Loan));
            _resetProbe(i);
            _count("relist");
            return;
        }
        _checkNftTo(r.loan, CUSTODY, e.custodyUnitsBefore);
        _checkSettled(r, e);
        _count("settle");
        _closeLoan(i);
    }

    /// @notice B1: the price of a running auction, read at any time, never rises and stays within [reserve, start].
    function probeAuction(uint256 loanSeed) external step {
        (bool found, uint256 i) = _pickAuction(loanSeed);
        if (found) _probePrice(i);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev What a settlement at `proceeds` must book, computed independently from the loan's terms.
    struct Expect {
        uint256 shortfall;
        uint256 surplus;
        uint256 keeperCut;
        uint256 penaltyKept;
        uint256 badDebtBefore;
        uint256 borrowerClaimBefore;
        uint256 keeperClaimBefore;
        uint256 buyerUnitsBefore;
        uint256 custodyUnitsBefore;
    }

    function _expectSettle(LoanRec memory r, uint256 proceeds) internal view returns (Expect memory e) {
        ILendingPoolTypes.Terms memory t = pool.terms(r.loan.collection, r.loan.termsId);
        uint256 debt = r.loan.frozenDebt;
        uint256 repaid = proceeds < debt ? proceeds : debt;
        uint256 penalty = (debt * t.penaltyBps + BPS - 1) / BPS; // rounded up, in the pool's favour
        if (penalty > proceeds - repaid) penalty = proceeds - repaid;
        e.shortfall = debt - repaid;
        e.surplus = proceeds - repaid - penalty;
        e.keeperCut = penalty * t.keeperShareBps / BPS; // rounded down
        e.penaltyKept = penalty - e.keeperCut;
        (e.badDebtBefore,) = pool.badDebt();
        e.borrowerClaimBefore = pool.claimable(r.loan.borrower);
        e.keeperClaimBefore = pool.claimable(r.auc.keeper);
        if (r.loan.collection == address(items)) {
            e.custodyUnitsBefore = items.balanceOf(CUSTODY, r.loan.tokenId);
        }
    }

    /// @dev B2/B3/B6/L4 after a buy or a settle; books the ledger.
    function _checkSettled(LoanRec memory r, Expect memory e) internal {
        (uint256 badDebtNow,) = pool.badDebt();
        _checkEq(badDebtNow - e.badDebtBefore, e.shortfall, B2_WATERFALL);
        uint256 borrowerGain = pool.claimable(r.loan.borrower) - e.borrowerClaimBefore;
        uint256 keeperGain = pool.claimable(r.auc.keeper) - e.keeperClaimBefore;
        if (r.loan.borrower == r.auc.keeper) {
            _checkEq(borrowerGain, e.surplus + e.keeperCut, B2_WATERFALL);
        } else {
            _checkEq(borrowerGain, e.surplus, B2_WATERFALL);
            _checkEq(keeperGain, e.keeperCut, B2_WATERFALL);
        }
        _checkEq(uint256(pool.loanHash(r.id)), 0, L4_STATE_MACHINE);
        _checkEq(uint256(auction.auctionHash(r.id)), 0, B6_ONCE);
        // B6: the same auction can be neither bought nor settled again.
        (bool again,) = address(auction).call(abi.encodeCall(DutchAuction.settle, (r.id, r.loan, r.auc)));
        _check(!again, B6_ONCE);
        (again,) = address(auction).call(abi.encodeCall(DutchAuction.buy, (r.id, r.loan, r.auc, type(uint256).max)));
        _check(!again, B6_ONCE);
        settling = true;
        lossAllowance += e.shortfall + 1;
        gAuctionClosedDebt += r.loan.frozenDebt;
        gBadDebt += e.shortfall;
        _roundingStep();
    }

    /// @dev B3 and custody: the collateral left the pool for `to` in the settling call.
    function _checkNftTo(ILendingPoolTypes.Loan memory loan, address to, uint256 unitsBefore) internal {
        if (loan.collection == address(apes)) {
            _check(apes.ownerOf(loan.tokenId) == to, B3_BAD_DEBT_AT_EXIT);
        } else {
            _checkEq(items.balanceOf(to, loan.tokenId) - unitsBefore, loan.amount, B3_BAD_DEBT_AT_EXIT);
        }
    }

    /// @dev B1 at auction `i` now. The price is the curve at the auction's effective elapsed time (the valuation's
    /// outage clock read as the module reads it), within [reserve, start], and never above the last price seen,
    /// except after a feed change the valuation cannot date (`Backdating`: a feed that starts reverting, a round
    /// backdated): that outage counts from the valuation's last clock record on, which can precede the last probe, so
    /// the clock may move back, but never to before that record: the elapsed time may shrink by at most
    /// `lastProbeAt - max(record, start)`, and by no more than the extension cap left then. The same holds when more
    /// rounds than the valuation reads back were published since its record (docs/valuation.md, "Outage clock";
    /// seeds 0x5dd0826c and medusa's
    /// `test_replay_backdatedStaleRoundMovesTheClockBackToTheRecord`).
    function _probePrice(uint256 i) internal returns (uint256 price) {
        LoanRec storage r = live[i];
        IDutchAuction.Auction memory a = r.auc;
        price = auction.currentPrice(r.id, r.loan, a);
        (uint64 since, uint64 cumulative) = IValuation(a.valuation).outage(r.loan.collection);
        uint256 elapsed = AuctionLib.effectiveElapsed(a.start, block.timestamp, since, cumulative, a.outageBase);
        _checkEq(price, AuctionLib.price(a.startPrice, a.reservePrice, a.duration, elapsed), B1_PRICE_CURVE);
        // Never above the curve at the least elapsed time the clock can have now (the last probe's, without an
        // undatable outage since), i.e. never above the last price seen unless the clock may have moved back.
        _checkLe(price, AuctionLib.price(a.startPrice, a.reservePrice, a.duration, _leastElapsed(r)), B1_PRICE_CURVE);
        _check(price >= a.reservePrice && price <= a.startPrice, B1_PRICE_CURVE);
        r.lastElapsed = elapsed;
        r.lastProbeAt = block.timestamp;
        r.lastProbeCall = callCount;
    }

    /// @dev The least effective elapsed time auction `r`'s clock can have now: the last probe's, or less when an outage
    /// the valuation cannot date (a backdating, or rounds beyond the look-back) may have moved it back since.
    function _leastElapsed(LoanRec storage r) internal view returns (uint256) {
        (bool undatable, uint256 record) = _backdatedSince(r.loan.collection, r.lastProbeCall);
        (bool beyond, uint256 asOf) = _beyondLookBack(r.loan.collection);
        if (beyond && (!undatable || asOf < record)) (undatable, record) = (true, asOf);
        if (!undatable) return r.lastElapsed;
        uint256 start = r.auc.start;
        uint256 from = record > start ? record : start;
        uint256 back = r.lastProbeAt > from ? r.lastProbeAt - from : 0;
        // Nor by more than the extension cap left at the last probe (outage seconds already counted then).
        uint256 counted = r.lastProbeAt - start - r.lastElapsed;
        uint256 capLeft = AuctionLib.MAX_OUTAGE_EXTENSION > counted ? AuctionLib.MAX_OUTAGE_EXTENSION - counted : 0;
        if (back > capLeft) back = capLeft;
        return r.lastElapsed > back ? r.lastElapsed - back : 0;
    }

    /// @dev A re-entering buyer replays every pool and auction entry point from its ERC-1155 hook.
    function _armBuyer(Actor buyer, LoanRec memory r) internal returns (bool) {
        if (buyer.mode() != Actor.Mode.Reenter || r.loan.collection != address(items)) return false;
        address[] memory targets = new address[](6);
        bytes[] memory calls = new bytes[](6);
        targets[0] = address(auction);
        calls[0] = abi.encodeCall(DutchAuction.buy, (r.id, r.loan, r.auc, type(uint256).max));
        targets[1] = address(auction);
        calls[1] = abi.encodeCall(DutchAuction.settle, (r.id, r.loan, r.auc));
        targets[2] = address(auction);
        calls[2] = abi.encodeCall(DutchAuction.start, (r.id, r.loan));
        targets[3] = address(pool);
        calls[3] = abi.encodeCall(ILendingPoolCore.repay, (r.id, r.loan, type(uint256).max));
        targets[4] = address(pool);
        calls[4] = abi.encodeCall(ILendingPoolCore.deposit, (1 * USDC, address(buyer)));
        targets[5] = address(pool);
        calls[5] = abi.encodeCall(ILendingPoolExtension.claim, (address(buyer)));
        buyer.arm(targets, calls, address(pool));
        return true;
    }

    function _checkProbeBuyer(Actor buyer) internal {
        if (buyer.hookRuns() == 0) return;
        _checkEq(buyer.reentryEscapes(), 0, R1_REENTRANCY);
        _checkEq(buyer.seenTotalAssets(), pool.totalAssets(), O2_CONSISTENT_VIEWS);
        _checkEq(buyer.seenShareValue(), pool.convertToAssets(1e18), O2_CONSISTENT_VIEWS);
    }
}
