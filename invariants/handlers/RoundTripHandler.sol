// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolCore} from "../../src/interfaces/ILendingPoolCore.sol";
import {PoolMath} from "../../src/libraries/PoolMath.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {Actor} from "../base/Actor.sol";
import {LiquidationHandler} from "./LiquidationHandler.sol";

/// @notice Issue 14's attacker: an atomic round trip around a recovery. A lender deposits up to ten times the pool's
/// assets, a running auction is bought, and the lender redeems everything, all in one block. Before the recovery lock
/// the purchase lifted the share price in one step and the round trip took most of it.
abstract contract RoundTripHandler is LiquidationHandler {
    string internal constant R1_ROUND_TRIP =
        "R1_ROUND_TRIP: deposit -> purchase -> redeem within one block never gains the depositor more than 1 wei";
    string internal constant R2_LATE_ENTRY =
        "R2_LATE_ENTRY: a deposit after an auction starts is worth at most the deposit (+2 wei) once the auction is bought and its recovery has unlocked";

    function roundTrip(uint256 lpSeed, uint256 stake, uint256 loanSeed, uint256 buyerSeed) external step {
        (bool found, uint256 i) = _pickAuction(loanSeed);
        if (!found) _skip();
        Actor lp = _honestActor(lpSeed);
        Actor buyer = _honestActor(buyerSeed);
        if (address(lp) == address(0) || address(buyer) == address(0)) _skip();
        if (_blocked(address(lp)) || _blocked(address(buyer)) || buyer.mode() == Actor.Mode.Reject) _skip();
        stake = _bound(stake, 1e6, 10 * pool.totalAssets() + 1e6);
        _fund(lp, stake);
        (bool ok, bytes memory ret) =
            lp.exec(address(pool), abi.encodeCall(ILendingPoolCore.deposit, (stake, address(lp))));
        if (!ok) _skip();
        uint256 shares = abi.decode(ret, (uint256));
        gDeposits += stake;

        // The action: a purchase of a running auction at its current price, booked like the buy handler's.
        LoanRec memory r = live[i];
        uint256 price = _probePrice(i);
        _fund(buyer, price);
        Expect memory e = _expectSettle(r, price);
        if (r.loan.collection == address(items)) e.buyerUnitsBefore = items.balanceOf(address(buyer), r.loan.tokenId);
        (ok,) = buyer.exec(address(auction), abi.encodeCall(DutchAuction.buy, (r.id, r.loan, r.auc, price)));
        if (ok) {
            _checkNftTo(r.loan, address(buyer), e.buyerUnitsBefore);
            _checkSettled(r, e);
            gPenaltyKept += e.penaltyKept;
            _closeLoan(i);
        }

        (ok, ret) = lp.exec(address(pool), abi.encodeCall(ILendingPoolCore.redeem, (shares, address(lp), address(lp))));
        if (!ok) return; // idle cash short of the stake: no round trip to judge
        uint256 out = abi.decode(ret, (uint256));
        gWithdrawals += out;
        _checkLe(out, stake + 1, R1_ROUND_TRIP);
        _count("roundTrip");
    }

    /// @notice Issue 14 review, F1: a lender enters while an auction runs (the loss already booked), the auction is
    /// bought, and the lender's shares are valued as they will be once every lock has released: the exit value with
    /// the locked recovery added back (`totalAssets + lockedRecovery`, in the same block, so no interest muddies it).
    /// Priced at the written-down value, the entry would take a share of the recovery owed to the lenders who bore
    /// the loss (mutant M16); priced at the entry value it never gains beyond rounding.
    function lateEntry(uint256 lpSeed, uint256 stake, uint256 loanSeed, uint256 buyerSeed) external step {
        (bool found, uint256 i) = _pickAuction(loanSeed);
        if (!found) _skip();
        Actor lp = _honestActor(lpSeed);
        if (address(lp) == address(0) || _blocked(address(lp))) _skip();
        stake = _bound(stake, 1e6, 10 * pool.totalAssets() + 1e6);
        _fund(lp, stake);
        (bool ok, bytes memory ret) =
            lp.exec(address(pool), abi.encodeCall(ILendingPoolCore.deposit, (stake, address(lp))));
        if (!ok) _skip();
        uint256 shares = abi.decode(ret, (uint256));
        gDeposits += stake;
        if (!_buyAtCurrentPrice(i, buyerSeed)) _skip();

        (uint256 locked,) = pool.lockedRecovery();
        // The pool's own conversion (virtual shares 1e6, virtual assets 1), rounded down as redeem pays.
        uint256 unlockedValue = PoolMath.toAssetsDown(shares, pool.totalAssets() + locked, pool.totalSupply());
        _checkLe(unlockedValue, stake + 2, R2_LATE_ENTRY);
        _count("lateEntry");
    }

    /// @dev Buys live auction `i` at its current price, booked and checked like the buy handler's; false when the
    /// buyer cannot (a blocked or rejecting actor, or the purchase reverted).
    function _buyAtCurrentPrice(uint256 i, uint256 buyerSeed) internal returns (bool) {
        Actor buyer = _honestActor(buyerSeed);
        if (address(buyer) == address(0) || _blocked(address(buyer)) || buyer.mode() == Actor.Mode.Reject) {
            return false;
        }
        LoanRec memory r = live[i];
        uint256 price = _probePrice(i);
        _fund(buyer, price);
        Expect memory e = _expectSettle(r, price);
        if (r.loan.collection == address(items)) e.buyerUnitsBefore = items.balanceOf(address(buyer), r.loan.tokenId);
        (bool ok,) = buyer.exec(address(auction), abi.encodeCall(DutchAuction.buy, (r.id, r.loan, r.auc, price)));
        if (!ok) return false;
        _checkNftTo(r.loan, address(buyer), e.buyerUnitsBefore);
        _checkSettled(r, e);
        gPenaltyKept += e.penaltyKept;
        _closeLoan(i);
        return true;
    }
}
