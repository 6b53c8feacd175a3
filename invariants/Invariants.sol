// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../src/interfaces/IValuationAdmin.sol";
import {HandlerBase} from "./base/HandlerBase.sol";

/// @notice The state properties, as parameterless views returning true while they hold: Echidna and medusa call the
/// `echidna_*` functions after every call (property mode); forge calls them from `invariant_*` wrappers
/// (ForgeInvariants.t.sol). Per-call properties (postconditions) are recorded by the handlers and reported by
/// `echidna_postconditions`. IDs and statements: InvariantsSpec.sol and invariants/README.md.
abstract contract Invariants is HandlerBase {
    /// @notice Every postcondition checked inside the handlers held (first failure: `firstFailure()`).
    function echidna_postconditions() public view returns (bool) {
        return failureCount == 0;
    }

    /// @notice A1_LEDGER.
    function echidna_A1_ledger() public view returns (bool) {
        uint256 debt = pool.totalDebt();
        uint256 book = pool.cash() + debt + pool.auctionDebt();
        uint256 plus = gDeposits + _interestToNow(debt) + gPenaltyKept;
        uint256 minus = gWithdrawals + gBadDebt + gReserveOut + gSettlerRewards;
        return _interestSinceLastCallOk(debt) && _withinRounding(book + minus, plus + pool.rewardsOwed());
    }

    /// @notice A1_DEBT.
    function echidna_A1_debt() public view returns (bool) {
        uint256 debt = pool.totalDebt();
        uint256 plus = gBorrowed + _interestToNow(debt);
        uint256 minus = gDebtRepaid + gAuctionClosedDebt;
        return _interestSinceLastCallOk(debt) && _withinRounding(debt + pool.auctionDebt() + minus, plus);
    }

    /// @notice A1_ASSETS.
    function echidna_A1_assets() public view returns (bool) {
        uint256 book = pool.cash() + pool.totalDebt() + pool.auctionDebt();
        uint256 reserve = pool.reserve();
        uint256 impairment = pool.impairment();
        (uint256 locked,) = pool.lockedRecovery(); // issue 14: recoveries not yet released
        // Issue 14 review F3: settlers' rewards owed (credited while cash was short) are a liability of the lenders.
        uint256 deducted = (reserve > impairment ? reserve : impairment) + locked + pool.rewardsOwed();
        uint256 expected = book > deducted ? book - deducted : 0;
        return pool.totalAssets() == expected && reserve <= book;
    }

    /// @notice A2_BACKING.
    function echidna_A2_backing() public view returns (bool) {
        uint256 owed;
        for (uint256 i; i < N_ACTORS; ++i) {
            owed += pool.claimable(address(actors[i]));
        }
        // Rewards owed to settlers are credited before the pool holds them: they are paid in from cash on a claim.
        return usdc.balanceOf(address(pool)) + pool.rewardsOwed() == pool.cash() + owed + gDonated;
    }

    /// @notice A3_SHARES.
    function echidna_A3_shares() public view returns (bool) {
        uint256 sum;
        for (uint256 i; i < N_ACTORS; ++i) {
            sum += pool.balanceOf(address(actors[i]));
        }
        return sum == pool.totalSupply();
    }

    /// @notice A3_DEBTS.
    function echidna_A3_debts() public view returns (bool) {
        uint256[2] memory sum;
        uint256[2] memory n;
        uint256 frozen;
        uint256 impaired;
        for (uint256 i; i < live.length; ++i) {
            ILendingPoolTypes.Loan storage l = live[i].loan;
            if (l.auctionStart != 0) {
                frozen += l.frozenDebt;
                impaired += l.impairment;
                continue;
            }
            uint256 k = l.collection == address(apes) ? 0 : 1;
            sum[k] += pool.debtOf(l);
            n[k] += 1;
        }
        if (frozen != pool.auctionDebt() || impaired != pool.impairment()) return false;
        if (!_sumMatches(sum[0] + sum[1], pool.totalDebt(), n[0] + n[1])) return false;
        (,, uint256 apesDebt,) = pool.collectionState(address(apes));
        (,, uint256 itemsDebt,) = pool.collectionState(address(items));
        return _sumMatches(sum[0], apesDebt, n[0]) && _sumMatches(sum[1], itemsDebt, n[1]);
    }

    /// @notice A6_LIQUIDITY (the state half; the liveness half is checked in `withdraw`).
    function echidna_A6_maxWithdraw() public view returns (bool) {
        uint256 cash = pool.cash();
        for (uint256 i; i < N_ACTORS; ++i) {
            if (pool.maxWithdraw(address(actors[i])) > cash) return false;
        }
        return true;
    }

    /// @notice L2_CUSTODY_721.
    function echidna_L2_custody721() public view returns (bool) {
        for (uint256 i; i < apeIds.length; ++i) {
            uint256 id = apeIds[i];
            uint256 loans = apeLiveLoans[id];
            bool held = apes.ownerOf(id) == address(pool);
            if (loans > 1) return false;
            if (apeDonated[id] ? (loans != 0 || !held) : (held != (loans == 1))) return false;
        }
        return true;
    }

    /// @notice L3_CUSTODY_1155.
    function echidna_L3_custody1155() public view returns (bool) {
        for (uint256 id = 1; id <= N_ITEM_IDS; ++id) {
            if (items.balanceOf(address(pool), id) != itemLiveUnits[id] + itemClaimableUnits[id]) return false;
        }
        return true;
    }

    /// @notice L4_STATE_MACHINE.
    function echidna_L4_commitments() public view returns (bool) {
        for (uint256 i; i < live.length; ++i) {
            if (pool.loanHash(live[i].id) != keccak256(abi.encode(live[i].loan))) return false;
        }
        for (uint256 i; i < closedIds.length; ++i) {
            if (pool.loanHash(closedIds[i]) != bytes32(0)) return false;
        }
        return true;
    }

    /// @notice B4_FROZEN_DEBT, and every auction the harness tracks is live in the module.
    function echidna_B4_frozenDebt() public view returns (bool) {
        for (uint256 i; i < live.length; ++i) {
            ILendingPoolTypes.Loan storage l = live[i].loan;
            if (l.auctionStart == 0) continue;
            if (pool.debtOf(l) != l.frozenDebt || !auction.isLive(live[i].id)) return false;
        }
        return true;
    }

    /// @notice L7_HEALTHY_NOT_AUCTIONABLE (the state half): every collection's terms in force keep LTV strictly below
    /// the liquidation threshold, so a loan at its maximum is never liquidatable at once.
    function echidna_L7_ltvBelowThreshold() public view returns (bool) {
        return _ordered(address(apes)) && _ordered(address(items));
    }

    function _ordered(address c) internal view returns (bool) {
        (uint32 termsId,,,) = pool.collectionState(c);
        ILendingPoolTypes.Terms memory t = pool.terms(c, termsId);
        return t.ltvBps < t.liqThresholdBps;
    }

    /// @notice I2_RATE.
    function echidna_I2_rate() public view returns (bool) {
        (uint256 rate, uint256 u) = pool.borrowRate();
        ILendingPoolTypes.RateConfig memory rc = pool.rateConfig();
        return u <= WAD && rate >= rc.baseRate && rate <= uint256(rc.baseRate) + rc.slope1 + rc.slope2;
    }

    /// @notice O1_VALUE_BOUNDS (the state half; "unusable blocks borrows" is checked in `borrow` and `startAuction`).
    function echidna_O1_valueBounds() public view returns (bool) {
        return _priceIsMin(address(apes)) && _priceIsMin(address(items));
    }

    /// @notice G1_ONLY_TIMELOCK (the state half): one 48 h timelock governs all four contracts and administers itself.
    function echidna_G1_timelock() public view returns (bool) {
        address tl = address(timelock);
        return timelock.getMinDelay() >= TIMELOCK_DELAY && pool.timelock() == tl && valuation.timelock() == tl
            && pricer.timelock() == tl && auction.timelock() == tl && pool.liquidator() == address(auction)
            && !timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this));
    }

    /// @notice Both ledgers as (actual + outflows, inflows) and the rounding budget (for diagnosing A1 failures).
    function ledgers()
        external
        view
        returns (uint256 bookPlusOut, uint256 bookIn, uint256 debtPlusOut, uint256 debtIn, uint256 rounding)
    {
        uint256 live_ = pool.totalDebt();
        bookPlusOut = pool.cash() + live_ + pool.auctionDebt() + gWithdrawals + gBadDebt + gReserveOut + gSettlerRewards;
        bookIn = gDeposits + _interestToNow(live_) + gPenaltyKept + pool.rewardsOwed();
        debtPlusOut = live_ + pool.auctionDebt() + gDebtRepaid + gAuctionClosedDebt;
        debtIn = gBorrowed + _interestToNow(live_);
        rounding = gRounding;
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Interest booked by the hooks plus what accrued since the last call (the clock may have moved since).
    function _interestToNow(uint256 debtNow) internal view returns (uint256) {
        return gInterest + (debtNow > lastAfter.totalDebt ? debtNow - lastAfter.totalDebt : 0);
    }

    /// @dev I4 for the time the engine moved the clock since the last call: the rise of the live debt is the
    /// interest the rate configuration predicts (HandlerBase._interestBounds), not any rise at all.
    function _interestSinceLastCallOk(uint256 debtNow) internal view returns (bool) {
        if (debtNow < lastAfter.totalDebt) return false;
        (uint256 lo, uint256 hi) =
            _interestBounds(lastAfter.cash, lastAfter.totalDebt, block.timestamp - lastAfter.time, block.timestamp);
        uint256 interest = debtNow - lastAfter.totalDebt;
        return interest >= lo && interest <= hi;
    }

    /// @dev `actual` exceeds `expected` by rounding in the pool's favour only, within the budget. Callers move the
    /// ledger's outflows to the left side, so nothing underflows when rounding made repayments exceed the debt.
    function _withinRounding(uint256 actual, uint256 expected) internal view returns (bool) {
        return actual >= expected && actual - expected <= gRounding;
    }

    /// @dev n loan debts, each rounded up, sum to at least the total (rounded up once) and at most n wei more.
    function _sumMatches(uint256 sum, uint256 total, uint256 n) internal pure returns (bool) {
        return sum >= total && sum <= total + n;
    }

    function _priceIsMin(address c) internal view returns (bool) {
        (uint256 p, IValuation.Status st) = valuation.priceView(c);
        if (st != IValuation.Status.Ok) return true;
        (IValuationAdmin.Head memory h,,,) = valuation.twapState(c);
        uint256 floor = uint256(_feed(c).answer()) / FEED_SCALE;
        return p == (h.twap < floor ? h.twap : floor);
    }
}
