// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {OutageLib} from "../../src/oracle/OutageLib.sol";
import {MockAggregator} from "../../test/mocks/MockAggregator.sol";
import {InvariantsSpec} from "../InvariantsSpec.sol";
import {Actor} from "./Actor.sol";
import {Setup} from "./Setup.sol";

/// @notice What every handler shares: ghost state, the before/after hooks, postcondition recording and helpers.
/// @dev Postconditions never revert: a revert would roll the failure back and forge (fail_on_revert = false) would
/// ignore it. `_check` records the first failure; the property `echidna_postconditions` (and its forge wrapper)
/// reports it, in all three engines. Handlers call the system through actors with try-style `exec`, so a handler
/// itself only reverts on a harness bug.
abstract contract HandlerBase is Setup, InvariantsSpec {
    /*//////////////////////////////////////////////////////////////
                           FAILURE RECORDING
    //////////////////////////////////////////////////////////////*/

    event PropertyFailed(string property, uint256 a, uint256 b);

    /// @notice The first postcondition that failed (its ID and statement), empty while none has.
    string public firstFailure;
    uint256 public failureCount;

    /// @notice A handler found nothing to do (no loan, no auction, no shares...). Reverting makes forge's metrics
    /// table count these no-op calls as "reverts" (the campaign's real mix is calls - reverts); every engine ignores
    /// reverted calls. Only used before any postcondition was checked, so no failure is rolled back with it.
    error Skip();

    function _skip() internal pure {
        revert Skip();
    }

    function _check(bool ok, string memory property) internal {
        if (ok) return;
        _fail(property, 0, 0);
    }

    function _checkEq(uint256 a, uint256 b, string memory property) internal {
        if (a != b) _fail(property, a, b);
    }

    function _checkLe(uint256 a, uint256 b, string memory property) internal {
        if (a > b) _fail(property, a, b);
    }

    function _fail(string memory property, uint256 a, uint256 b) internal {
        failureCount += 1;
        if (bytes(firstFailure).length == 0) firstFailure = property;
        emit PropertyFailed(property, a, b);
    }

    /*//////////////////////////////////////////////////////////////
                             GHOST STATE
    //////////////////////////////////////////////////////////////*/

    /// @dev A live loan as last emitted by the pool, with its auction (if any) as emitted by the module.
    struct LoanRec {
        uint256 id;
        ILendingPoolTypes.Loan loan;
        IDutchAuction.Auction auc;
        uint256 lastElapsed; // effective elapsed seconds at the last probe (B1: the price was the curve there)
        uint256 lastProbeAt; // block time then
        uint256 lastProbeCall; // `callCount` then
    }

    /// @dev A feed change the valuation cannot date (B1): a feed that starts reverting, or a round whose `updatedAt`
    /// is rewritten into the past. The valuation counts the outage it causes from its last clock record (`record`, its
    /// `asOf` then) on, which can precede an auction's last probe. `call` is the `callCount` it happened in.
    struct Backdating {
        uint256 call;
        uint256 record;
    }

    mapping(address collection => Backdating[]) internal backdatings;
    /// @dev Handler calls made so far (incremented before each).
    uint256 internal callCount;
    /// @dev The borrow index when the step last opened a loan (0: none this step). E1 reads exposure back to it.
    uint256 internal borrowIndexAtLoan;

    LoanRec[] internal live;
    uint256[] internal closedIds;
    uint256 internal maxLoanId;

    uint256[] internal apeIds;
    uint256 internal nextApeId = 1;
    mapping(uint256 id => bool) internal apeDonated;
    mapping(uint256 id => uint256) internal apeLiveLoans;
    mapping(uint256 id => uint256) internal itemLiveUnits;
    mapping(uint256 id => uint256) internal itemClaimableUnits;

    /// @dev The trait root in force as the harness published it: two leaves (tokenIds[i], premiums[i]).
    struct TraitTree {
        uint64 epoch;
        uint64 expiry;
        uint256[2] tokenIds;
        uint256[2] premiums;
        bytes32[2] leaves;
    }

    TraitTree internal trait;

    // Ledger of everything that crossed the pool's boundary (A1).
    uint256 internal gDeposits;
    uint256 internal gWithdrawals;
    uint256 internal gInterest;
    uint256 internal gPenaltyKept;
    uint256 internal gBadDebt;
    uint256 internal gReserveOut;
    // Settlers' rewards credited (issue 14): they leave the lenders' book, from cash at once or, when the pool was
    // fully lent, as `rewardsOwed` paid in from cash by a later claim.
    uint256 internal gSettlerRewards;
    uint256 internal gDonated;
    uint256 internal gBorrowed;
    uint256 internal gDebtRepaid;
    uint256 internal gAuctionClosedDebt;
    /// @dev Upper bound of the rounding the pool may keep (each loan operation rounds up by < index/WAD + 2 wei).
    uint256 internal gRounding;

    // Action counters: calls the system accepted and calls it refused (a refused call is never counted as done).
    // ForgeInvariants.afterInvariant requires minimum accepted counts; the smoke test asserts every action.
    mapping(bytes32 action => uint256) public okCount;
    mapping(bytes32 action => uint256) public refusedCount;

    // Interest ledger (I4). The pool accrues from its last accrual ("anchor") at the kink rate of the utilisation it
    // stored then. The harness does not read that anchor: it notes the live debt after the last call that moved
    // cash or live debt other than by time (every such entry point accrues first), which bounds the anchor's
    // utilisation from below; the utilisation now bounds it from above (pure time only raises debt).
    uint256 internal anchorDebt;
    uint256 internal anchorTime;
    /// @dev The last pool state the harness saw (after a call or at the end of a pure-time step).
    Snap internal seen;

    /// @dev The pool totals the hooks compare.
    struct Snap {
        uint256 totalAssets;
        uint256 supply;
        uint256 cash;
        uint256 totalDebt;
        uint256 auctionDebt;
        uint256 impairment;
        uint256 reserve;
        uint256 badDebt;
        uint256 index;
        uint256 time;
    }

    Snap internal lastAfter;
    Snap internal pre;
    /// @dev Set by a handler that books a loss in this call (A4): the most totalAssets may fall by.
    uint256 internal lossAllowance;
    /// @dev Set by a handler that settles an auction in this call (B3).
    bool internal settling;
    /// @dev E1: each collection's exposure (apes, items) before the call, as the harness records it.
    uint256[2] internal preExposure;

    /*//////////////////////////////////////////////////////////////
                                HOOKS
    //////////////////////////////////////////////////////////////*/

    modifier step() {
        _before();
        _;
        _after();
    }

    function _initGhosts() internal {
        lastAfter = _snap();
        seen = lastAfter;
        anchorDebt = lastAfter.totalDebt;
        anchorTime = block.timestamp;
        gDeposits = SEED_LIQUIDITY;
    }

    function _before() internal {
        ++callCount;
        borrowIndexAtLoan = 0;
        Snap memory s = _snap();
        // Only time can have changed the pool since the last call (the engines may advance the clock between calls).
        _timePassed(lastAfter, s);
        pre = s;
        lossAllowance = 0;
        settling = false;
        (preExposure[0],) = _exposure(address(apes));
        (preExposure[1],) = _exposure(address(items));
    }

    function _after() internal {
        Snap memory s = _snap();
        _checkLe(pre.index, s.index, I1_INDEX);
        if (lossAllowance == 0) {
            _check(_priceNotBelow(s, pre), A4_PRICE);
        } else {
            _checkLe(pre.totalAssets, s.totalAssets + lossAllowance, A4_PRICE);
        }
        if (!settling) _checkEq(s.badDebt, pre.badDebt, B3_BAD_DEBT_AT_EXIT);
        _checkExposure(address(apes), preExposure[0]);
        _checkExposure(address(items), preExposure[1]);
        _noteMoves(s);
        lastAfter = s;
    }

    /// @dev E1: a collection's exposure is at most its ceiling after the call, or the call did not raise it (interest
    /// and a ceiling lowered over open loans can leave it above). Interest is not the call raising it: some handlers
    /// warp inside the call (an oracle recovery, a timelock delay), so the exposure after is read back at the borrow
    /// index before the call. Two wei of slack: an auction start moves a loan's debt, rounded up on its own, out of the
    /// collection's live debt, rounded up in sum, and the read-back rounds once more.
    /// A loan opened inside the step (a probe that borrows, then warps to a due date) was admitted under the ceiling at
    /// the index of that moment, and the interest after it is no raise either: then the exposure is read back to that
    /// index instead, and it must be within the ceiling there (or within what it was before the step). Found by the
    /// forge campaign, seed 0x4980977f: a minimum loan under a ceiling an earlier probe had lowered to 100.0006 USDC,
    /// then two days of interest in the same step (`test_replay_seed4980977f_E1`).
    function _checkExposure(address c, uint256 before) internal {
        (uint256 e, uint256 ceiling) = _exposure(c);
        if (e <= ceiling) return;
        uint256 index = pool.borrowIndex();
        uint256 atPre = index > pre.index ? e * pre.index / index : e;
        if (atPre <= before + 2) return;
        // The index only grows, so a loan's index within the step is at least pre.index and at most the index now.
        if (borrowIndexAtLoan != 0 && e * borrowIndexAtLoan / index <= ceiling + 2) return;
        _fail(E1_EXPOSURE, e, ceiling);
    }

    /// @dev A collection's exposure from the harness's own records: the pool's live debt of the collection plus the
    /// frozen debt of every loan the harness knows in auction (not the pool's own auction-debt figure, which a broken
    /// pool would keep consistent with itself), and its ceiling.
    function _exposure(address c) internal view returns (uint256 e, uint256 ceiling) {
        (, ceiling, e,) = pool.collectionState(c);
        for (uint256 k; k < live.length; ++k) {
            if (live[k].loan.collection == c && live[k].loan.auctionStart != 0) e += live[k].loan.frozenDebt;
        }
    }

    /// @dev E2: the principal the harness records for `borrower`'s open loans of collection `c`.
    function _principalOf(address c, address borrower) internal view returns (uint256 p) {
        for (uint256 k; k < live.length; ++k) {
            if (live[k].loan.collection == c && live[k].loan.borrower == borrower) p += live[k].loan.principal;
        }
    }

    /// @dev Moves the interest anchor when cash or live debt changed since the last state seen: only a non-temporal
    /// operation (which accrues first) changes them between two observations that time did not separate.
    function _noteMoves(Snap memory s) internal {
        if (s.cash != seen.cash || s.totalDebt != seen.totalDebt) {
            anchorDebt = s.totalDebt;
            anchorTime = s.time;
        }
        seen = s;
    }

    /// @dev Checks and books a pure passage of time from `a` to `b`: interest only.
    function _timePassed(Snap memory a, Snap memory b) internal {
        if (b.index < a.index || b.totalDebt < a.totalDebt || b.reserve < a.reserve) {
            _fail(I1_INDEX, a.totalDebt, b.totalDebt);
            return;
        }
        _noteMoves(a);
        uint256 interest = b.totalDebt - a.totalDebt;
        (uint256 lo, uint256 hi) = _interestBounds(a.cash, a.totalDebt, b.time - a.time, b.time);
        if (interest < lo || interest > hi) _fail(I4_INTEREST, interest, interest < lo ? lo : hi);
        gInterest += interest;
        seen = b;
        uint256 expected = interest * pool.rateConfig().reserveFactorBps / BPS;
        uint256 grown = b.reserve - a.reserve;
        if (grown > expected + 1 || grown + 1 < expected) _fail(I3_RESERVE_SHARE, grown, expected);
        _check(_priceNotBelow(b, a), A4_PRICE);
    }

    function _snap() internal view returns (Snap memory s) {
        s.totalAssets = pool.totalAssets();
        s.supply = pool.totalSupply();
        s.cash = pool.cash();
        s.totalDebt = pool.totalDebt();
        s.auctionDebt = pool.auctionDebt();
        s.impairment = pool.impairment();
        s.reserve = pool.reserve();
        (s.badDebt,) = pool.badDebt();
        s.index = pool.borrowIndex();
        s.time = block.timestamp;
    }

    /*//////////////////////////////////////////////////////////////
                       EXPECTED INTEREST (I4)
    //////////////////////////////////////////////////////////////*/

    uint256 internal constant INTEREST_TOL_PPM = 1;

    /// @dev The interest live debt `debt` (with idle `cash`) may accrue over `dt` seconds ending at `time`, computed
    /// from the rate configuration alone: [debt x (e^(r_lo dt) - 1), debt x (e^(r_hi dt) - 1)], r_lo the kink rate at
    /// the anchor's utilisation and r_hi at today's, widened by 1 ppm + 2 wei (index and debt rounding) and, below,
    /// by the remainder of the pool's three-term Taylor growth from its anchor (x^3 / 6 relative, x = r_hi x the time
    /// since the anchor; the pool documents that its growth never exceeds the true exponential).
    function _interestBounds(
        uint256 cash,
        uint256 debt,
        uint256 dt,
        uint256 time
    ) internal view returns (uint256 lo, uint256 hi) {
        if (debt == 0 || dt == 0) return (0, 2);
        ILendingPoolTypes.RateConfig memory rc = pool.rateConfig();
        uint256 dLo = anchorDebt < debt ? anchorDebt : debt;
        uint256 rLo = _kinkRate(rc, dLo * WAD / (cash + dLo));
        uint256 rHi = _kinkRate(rc, _divUp(debt * WAD, cash + debt)) + 1;
        hi = _mulUp(debt, _expm1(rHi * dt, true));
        hi += _divUp(hi * INTEREST_TOL_PPM, 1e6) + 2;
        lo = debt * _expm1(rLo * dt, false) / WAD;
        uint256 x = rHi * (time - (anchorTime < time ? anchorTime : time));
        uint256 taylor = x * x / WAD * x / WAD / 6 + WAD * INTEREST_TOL_PPM / 1e6; // relative, WAD
        uint256 slack = _mulUp(lo, taylor) + 2;
        lo = lo > slack ? lo - slack : 0;
    }

    /// @dev The kink rate per second (WAD) at utilisation `u` (WAD), from the configuration's parameters.
    function _kinkRate(ILendingPoolTypes.RateConfig memory rc, uint256 u) internal pure returns (uint256) {
        if (u > WAD) u = WAD;
        uint256 kink = uint256(rc.kinkBps) * 1e14;
        if (u <= kink) return rc.baseRate + uint256(rc.slope1) * u / kink;
        return uint256(rc.baseRate) + rc.slope1 + uint256(rc.slope2) * (u - kink) / (WAD - kink);
    }

    /// @dev e^x - 1 in WAD by its power series, each term rounded down (`up` false) or up (`up` true, plus the
    /// tail, which is below the last term kept for x <= 1 WAD).
    function _expm1(uint256 x, bool up) internal pure returns (uint256 sum) {
        uint256 term = x;
        for (uint256 k = 2; term != 0 && k < 40; ++k) {
            sum += term;
            term = up ? _divUp(term * x, WAD * k) : term * x / (WAD * k);
            if (up && term <= 1) {
                sum += 2;
                break;
            }
        }
    }

    function _mulUp(uint256 a, uint256 wad) internal pure returns (uint256) {
        return _divUp(a * wad, WAD);
    }

    function _divUp(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    /// @dev Share price of `b` >= that of `a`, exactly: (A + 1) / (S + 1e6), the pool's virtual offsets.
    function _priceNotBelow(Snap memory b, Snap memory a) internal pure returns (bool) {
        return (b.totalAssets + 1) * (a.supply + 1e6) >= (a.totalAssets + 1) * (b.supply + 1e6);
    }

    /// @dev Adds the rounding one loan operation may keep for the pool.
    function _roundingStep() internal {
        gRounding += pool.borrowIndex() / WAD + 2;
    }

    /*//////////////////////////////////////////////////////////////
                               HELPERS
    //////////////////////////////////////////////////////////////*/

    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + x % (hi - lo + 1);
    }

    function _actor(uint256 seed) internal view returns (Actor) {
        return actors[seed % N_ACTORS];
    }

    /// @dev A pure passage of time (next block), with its interest booked.
    function _warp(uint256 dt) internal {
        Snap memory a = _snap();
        hevm.warp(block.timestamp + dt);
        hevm.roll(block.number + 1 + dt / 12);
        _timePassed(a, _snap());
    }

    function _count(bytes32 action) internal {
        okCount[action] += 1;
    }

    /// @dev The system refused `action`; `explained` says whether the handler knows a legitimate reason.
    function _refuse(bytes32 action, bool explained) internal {
        refusedCount[action] += 1;
        _check(explained, V1_LIVENESS);
    }

    function _blocked(address account) internal view returns (bool) {
        return usdc.blocked(account);
    }

    /// @dev An actor the token accepts that takes ERC-1155 transfers normally, or address(0) when there is none.
    function _honestActor(uint256 seed) internal view returns (Actor) {
        for (uint256 i; i < N_ACTORS; ++i) {
            Actor a = actors[(seed + i) % N_ACTORS];
            if (!_blocked(address(a)) && a.mode() == Actor.Mode.Normal) return a;
        }
        return Actor(address(0));
    }

    function _fund(Actor a, uint256 amount) internal {
        if (_blocked(address(a))) return;
        usdc.mint(address(a), amount);
    }

    /// @dev Records that `collection`'s feed was just changed in a way the valuation cannot date (see Backdating).
    function _noteBackdating(address collection) internal {
        (IValuationAdmin.OutageClock memory clock,) = valuation.outageClock(collection);
        backdatings[collection].push(Backdating(callCount, clock.asOf));
    }

    /// @dev The earliest clock record among the backdatings of `collection` since call `sinceCall` (exclusive), or
    /// `found` false when there was none.
    function _backdatedSince(address collection, uint256 sinceCall) internal view returns (bool found, uint256 record) {
        Backdating[] storage b = backdatings[collection];
        record = type(uint256).max;
        for (uint256 k = b.length; k > 0 && b[k - 1].call > sinceCall; --k) {
            found = true;
            if (b[k - 1].record < record) record = b[k - 1].record;
        }
    }

    /// @dev Whether more floor rounds than the valuation reads back (OutageLib.MAX_ROUND_LOOKBACK, 16) were published
    /// since its last record, and that record's time. The rounds out of reach are taken as absent, so the replay may
    /// count an outage from the record on that the rounds would have dated (docs/valuation.md, "Outage clock",
    /// Limits): undatable too, for B1.
    function _beyondLookBack(address collection) internal view returns (bool beyond, uint256 record) {
        (IValuationAdmin.OutageClock memory clock,) = valuation.outageClock(collection);
        try _feed(collection).latestRoundData() returns (uint80 id, int256, uint256, uint256, uint80) {
            beyond = id > uint256(clock.floorRound) + OutageLib.MAX_ROUND_LOOKBACK;
        } catch {}
        record = clock.asOf;
    }

    /// @dev Auction `i` (re)started in this call: its clock at zero, its price the start price.
    function _resetProbe(uint256 i) internal {
        LoanRec storage r = live[i];
        r.lastElapsed = 0;
        r.lastProbeAt = r.auc.start;
        r.lastProbeCall = callCount;
    }

    function _feed(address collection) internal view returns (MockAggregator) {
        return collection == address(apes) ? apesFeed : itemsFeed;
    }

    function _status(address collection) internal view returns (uint256 price, IValuation.Status status) {
        return valuation.priceView(collection);
    }

    /// @dev Makes `collection` priceable now when only staleness or a jump stands in the way: a new block, a sale at
    /// the current TWAP, a fresh floor answer, and after a jump the cool-down and a re-anchoring checkpoint. A guardian
    /// freeze stays (only the timelock lifts it).
    function _freshen(address collection) internal {
        // At least the minimum spacing after the newest sale, so the refreshing sale is accepted.
        _warp(valuation.minSpacing(collection));
        MockAggregator feed = _feed(collection);
        feed.setReverts(false);
        int256 answer = feed.answer();
        if (answer <= 1 || uint256(answer) >= FEED_MAX_ANSWER) {
            answer = int256((collection == address(apes) ? APE_PRICE : ITEM_PRICE) * FEED_SCALE);
        }
        feed.setAnswer(answer);
        (IValuationAdmin.Head memory h,,,) = valuation.twapState(collection);
        valuation.reportSale(collection, h.twap, block.timestamp);
        (, IValuation.Status s) = _status(collection);
        if (s == IValuation.Status.Jumped) {
            valuation.checkpoint(collection);
            _warp(1 hours + 1);
            feed.setAnswer(answer);
            (h,,,) = valuation.twapState(collection);
            valuation.reportSale(collection, h.twap, block.timestamp);
            valuation.checkpoint(collection);
        }
    }

    /// @dev `_freshen` until the price is usable (after a long silence the TWAP needs sales over its minimum window
    /// again); returns whether it is.
    function _revive(address collection) internal returns (bool) {
        for (uint256 k; k < 8; ++k) {
            _freshen(collection);
            (, IValuation.Status s) = _status(collection);
            if (s == IValuation.Status.Ok) return true;
        }
        return false;
    }

    /*//////////////////////////////////////////////////////////////
                              LOAN BOOK
    //////////////////////////////////////////////////////////////*/

    function _pickLive(uint256 seed) internal view returns (bool found, uint256 index) {
        if (live.length == 0) return (false, 0);
        return (true, seed % live.length);
    }

    /// @dev The first live loan at or after `seed` (cyclically) whose auction state is `inAuction`.
    function _pickState(uint256 seed, bool inAuction) internal view returns (bool, uint256) {
        uint256 n = live.length;
        for (uint256 k; k < n; ++k) {
            uint256 i = (seed + k) % n;
            if ((live[i].loan.auctionStart != 0) == inAuction) return (true, i);
        }
        return (false, 0);
    }

    function _pickAuction(uint256 seed) internal view returns (bool, uint256) {
        return _pickState(seed, true);
    }

    /// @dev A running auction; when there is none, the loan at `seed` gets a price shock and is put up for auction.
    function _ensureAuction(uint256 seed, uint256 keeperSeed) internal returns (bool found, uint256 i) {
        (found, i) = _pickAuction(seed);
        if (found) return (found, i);
        (found, i) = _pickState(seed, false);
        if (!found) return (false, 0);
        _shock(live[i].loan.collection, _bound(seed >> 8, 2000, 5000));
        found = _startAuctionAt(i, _actor(keeperSeed), false);
    }

    /// @dev Moves `collection`'s floor to `pct` bps of its level and re-anchors the valuation on it.
    function _shock(address collection, uint256 pct) internal {
        MockAggregator feed = _feed(collection);
        int256 answer = feed.answer() * int256(pct) / int256(BPS);
        if (answer < 2) answer = 2;
        if (uint256(answer) >= FEED_MAX_ANSWER) answer = int256(uint256(FEED_MAX_ANSWER) / 2);
        feed.setAnswer(answer);
        _freshen(collection);
    }

    /// @dev L7 on live loan `i`: the start must succeed exactly when the loan is liquidatable and the oracle works.
    function _startAuctionAt(uint256 i, Actor keeper, bool fresh) internal returns (bool) {
        if (fresh) _freshen(live[i].loan.collection);
        (bool liquidatable, uint256 debt) = _liquidatable(live[i].loan);
        (bool ok, bytes memory ret) =
            keeper.exec(address(auction), abi.encodeCall(DutchAuction.start, (live[i].id, live[i].loan)));
        _check(ok == liquidatable, L7_HEALTHY_NOT_AUCTIONABLE);
        if (ok) _recordStart(i, address(keeper), ret, debt);
        else refusedCount["startAuction"] += 1; // a healthy loan or an unusable price: refused, as L7 requires
        return ok;
    }

    /// @dev For probes that need a loan: opens one against a fresh NFT of `c` (BorrowerHandler). Returns its index.
    function _openLoan(address c, uint256 seed, bool atLimit) internal virtual returns (bool opened, uint256 i);

    /// @dev Usable price and (health below 1 or past maturity + grace, maturity extended by the valuation's outages
    /// since the term began); and the debt now.
    function _liquidatable(ILendingPoolTypes.Loan memory loan) internal view returns (bool, uint256) {
        (, IValuation.Status status) = _status(loan.collection);
        uint256 debt = pool.debtOf(loan);
        if (status != IValuation.Status.Ok) return (false, debt);
        uint256 grace = pool.terms(loan.collection, loan.termsId).grace;
        return (pool.healthFactor(loan) < WAD || block.timestamp > _dueWithOutages(loan) + grace, debt);
    }

    /// @dev The loan's due date extended by the valuation's outage seconds since its term began, at most one term.
    function _dueWithOutages(ILendingPoolTypes.Loan memory loan) internal view returns (uint256) {
        (uint64 since, uint64 cumulative) = valuation.outage(loan.collection);
        uint256 total = since == 0 ? cumulative : cumulative + (block.timestamp - since);
        uint256 extension = total > loan.outageBase ? total - loan.outageBase : 0;
        uint256 term = pool.terms(loan.collection, loan.termsId).duration;
        return loan.dueTime + (extension < term ? extension : term);
    }

    function _recordStart(uint256 i, address keeper, bytes memory ret, uint256 debt) internal {
        (IDutchAuction.Auction memory a, ILendingPoolTypes.Loan memory updated) =
            abi.decode(ret, (IDutchAuction.Auction, ILendingPoolTypes.Loan));
        _checkEq(updated.frozenDebt, debt, B4_FROZEN_DEBT);
        _checkEq(updated.termsId, live[i].loan.termsId, L8_TERMS_FIXED);
        _check(a.reservePrice != 0 && a.reservePrice <= a.startPrice, B1_PRICE_CURVE);
        _check(a.keeper == keeper, B2_WATERFALL);
        _checkStartAboveDrop(updated, a.startPrice);
        live[i].loan = updated;
        live[i].auc = a;
        _resetProbe(i);
        lossAllowance += updated.impairment + 1;
        _roundingStep();
        _count("startAuction");
    }

    /// @dev B7 (issue 15, item 2): a move of the valuation smaller than its deviation is not flagged, so the value
    /// before it was at most value / (1 - deviation); an auction bought at its start (its highest price, in the same
    /// block) must pay at least that. Value as the pool computes it at the start (no haircut), in the same call.
    function _checkStartAboveDrop(ILendingPoolTypes.Loan memory loan, uint256 startPrice) internal {
        (uint256 price,) = _status(loan.collection);
        uint256 most = price * loan.premiumMultipleWad / WAD;
        uint256 value = (price + (loan.premium < most ? loan.premium : most)) * loan.amount;
        uint256 deviation = valuation.deviationBps(loan.collection);
        _checkLe(value * BPS, startPrice * (BPS - deviation), B7_START_ABOVE_DROP);
    }

    function _addLoan(uint256 id, ILendingPoolTypes.Loan memory loan) internal {
        // E1: the pool admitted this loan under the ceiling at the index now; interest after it is not a raise.
        borrowIndexAtLoan = pool.borrowIndex();
        LoanRec storage r = live.push();
        r.id = id;
        r.loan = loan;
        _check(id > maxLoanId, L4_STATE_MACHINE);
        maxLoanId = id;
        if (loan.collection == address(apes)) apeLiveLoans[loan.tokenId] += 1;
        else itemLiveUnits[loan.tokenId] += loan.amount;
    }

    function _closeLoan(uint256 index) internal {
        LoanRec storage r = live[index];
        if (r.loan.collection == address(apes)) apeLiveLoans[r.loan.tokenId] -= 1;
        else itemLiveUnits[r.loan.tokenId] -= r.loan.amount;
        if (closedIds.length < 256) closedIds.push(r.id);
        live[index] = live[live.length - 1];
        live.pop();
    }
}
