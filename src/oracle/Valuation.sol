// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Governed} from "../admin/Governed.sol";
import {ITraitPricer} from "../interfaces/ITraitPricer.sol";
import {IValuation} from "../interfaces/IValuation.sol";
import {IValuationAdmin} from "../interfaces/IValuationAdmin.sol";
import {FloorFeedLib} from "./FloorFeedLib.sol";
import {OutageLib} from "./OutageLib.sol";
import {TwapLib} from "./TwapLib.sol";
import {ValuationConfigLib} from "./ValuationConfigLib.sol";
import {ValuationMath} from "./ValuationMath.sol";
import {FeedWord, HeadWord, HeadWordLibrary, ValuationStorage as S} from "./ValuationStorage.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {EIP712} from "solady/utils/EIP712.sol";

/// @title Valuation
/// @notice Sales TWAP (ring buffer per collection) + Chainlink-style floor feed, with jump detection and an outage
/// clock for the auctions.
/// @dev Read path (`price`, `priceView`): two storage slots (the feed word and the head word, see `ValuationStorage`)
/// plus the feed call (and the sequencer feed on L2s); the TWAP is maintained at write time. `price` writes only when
/// it records a new jump reference, and touches the outage clock only when that reference moves over more than one
/// new feed round. The L2 sequencer feed and its grace period are implementation immutables: they are chain
/// constants, and changing them is an upgrade (timelock only).
/// Linked libraries (deploy and link them before this contract): `ValuationConfigLib`, `OutageLib` (their `public`
/// functions); `TwapLib`, `FloorFeedLib`, `ValuationMath` and `ValuationStorage` are internal and compiled in.
contract Valuation is Governed, EIP712, IValuationAdmin {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Observations kept per collection.
    uint256 public constant BUFFER_CAPACITY = TwapLib.CAPACITY;
    /// @notice Default number of sales before the TWAP reports.
    uint8 public constant DEFAULT_MIN_SALES = 5;
    /// @notice Default minimum span between the oldest and newest kept sale.
    uint24 public constant DEFAULT_MIN_WINDOW = 30 minutes;
    /// @notice Default half-life of a sale's weight.
    uint24 public constant DEFAULT_HALF_LIFE = 6 hours;
    /// @notice Default clamp band around the clamp anchor: +-10 %.
    uint16 public constant DEFAULT_CLAMP_BPS = 1000;
    /// @notice Default clamp anchor period: the anchor is a TWAP at least one hour old, moved at most once an hour.
    uint24 public constant DEFAULT_ANCHOR_PERIOD = 1 hours;
    /// @notice Default maximum age of the newest sale.
    uint24 public constant DEFAULT_TWAP_MAX_AGE = 24 hours;
    /// @notice Default jump deviation of either source from its reference: 16 %, so that the default auction start
    /// (120 % of the value, `DefaultParams`) covers an unflagged drop: 1 / (1 - 16 %) = 119.05 % <= 120 %.
    uint16 public constant DEFAULT_DEVIATION_BPS = 1600;
    /// @notice Outage a jump must have lasted before anyone may move the references to the new prices.
    uint256 public constant JUMP_COOLDOWN = 1 hours;
    /// @notice A write records the outage clock when its last record is at least this old, so that the clock never
    /// has to read back more than `OutageLib.MAX_ROUND_LOOKBACK` feed rounds while sales are reported.
    uint256 public constant CLOCK_REFRESH = 1 hours;
    /// @notice Default L2 sequencer grace period (used by deployments; the value in force is `SEQUENCER_GRACE`).
    uint256 public constant DEFAULT_SEQUENCER_GRACE = 1 hours;

    uint8 internal constant MAX_ASSET_DECIMALS = 36;

    /// @notice EIP-712 type hash of `SaleReport`.
    bytes32 public constant SALE_REPORT_TYPEHASH = keccak256(
        "SaleReport(address collection,uint256 price,uint256 timestamp,uint256 listingEpoch,uint256 deadline)"
    );

    /// @notice L2 sequencer-uptime feed (zero on L1).
    address public immutable SEQUENCER_FEED;
    /// @notice Seconds after a sequencer restart during which nothing is priced.
    uint256 public immutable SEQUENCER_GRACE;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param sequencerFeed L2 sequencer-uptime feed, or zero on L1.
    /// @param sequencerGrace Grace period after a sequencer restart (ignored when `sequencerFeed` is zero).
    constructor(address sequencerFeed, uint256 sequencerGrace) {
        SEQUENCER_FEED = sequencerFeed;
        SEQUENCER_GRACE = sequencerGrace;
    }

    /// @notice Initialises the proxy.
    /// @param assetDecimals_ Decimals of the pool asset prices are expressed in (18 for WETH, 6 for USDC).
    function initialize(address timelock_, address guardian_, uint8 assetDecimals_) external initializer {
        if (assetDecimals_ > MAX_ASSET_DECIMALS) revert AssetDecimalsTooHigh(assetDecimals_, MAX_ASSET_DECIMALS);
        __Governed_init(timelock_, guardian_);
        S.layout().assetDecimals = assetDecimals_;
    }

    /*//////////////////////////////////////////////////////////////
                              POOL-FACING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuation
    function price(address collection) external returns (uint256 unitPrice) {
        S.Collection storage c = S.layout().collections[collection];
        HeadWord head = HeadWord.wrap(c.headWord);
        (uint256 p, Status status, uint256 floor, uint256 roundId) = _quote(FeedWord.wrap(c.feedWord), head);
        if (status != Status.Ok) revert ValuationUnavailable(collection, status);
        // Effects only when the valued flag or the first reference is set: the common read writes nothing. The
        // floor reference is set here only when there is none (listing, new feed); otherwise it moves only at a
        // re-anchor (`checkpoint`, after a flagged move and its cool-down), so repeated valuations cannot walk it: every
        // Ok valuation is within the deviation of the same reference.
        HeadWord next = head.withFlags(head.flags() | S.VALUED);
        if (head.lastFloor() == 0) {
            // The floor reference judges the rounds the outage clock replays, so it may only move when at most one
            // round was published since the clock's checkpoint; otherwise record the clock first.
            uint256 recorded = c.clock.floorRound;
            if (roundId != recorded && roundId != recorded + 1) _checkpoint(c, collection);
            next = next.withLastFloor(floor);
        }
        if (HeadWord.unwrap(next) != HeadWord.unwrap(head)) c.headWord = HeadWord.unwrap(next);
        return p;
    }

    /// @inheritdoc IValuation
    function priceView(address collection) external view returns (uint256 unitPrice, Status status) {
        S.Collection storage c = S.layout().collections[collection];
        (unitPrice, status,,) = _quote(FeedWord.wrap(c.feedWord), HeadWord.wrap(c.headWord));
    }

    /// @inheritdoc IValuation
    function traitPremium(
        address collection,
        uint256 tokenId,
        uint256 premium,
        bytes32[] calldata proof,
        uint256 unitPrice
    ) external view returns (uint256 cappedPremium) {
        address pricer = S.layout().traitPricer;
        if (pricer == address(0)) revert TraitPricerNotSet();
        return ITraitPricer(pricer).cappedPremium(collection, tokenId, premium, proof, unitPrice);
    }

    /// @inheritdoc IValuation
    /// @dev Computed by `OutageLib.replay` from the last checkpoint: exactly what `checkpoint` would record now. For a
    /// collection that was never listed, (0, 0).
    function outage(address collection) external view returns (uint64 since, uint64 cumulative) {
        S.Collection storage c = S.layout().collections[collection];
        bool quiet;
        (quiet, cumulative) = _quietClock(c);
        if (quiet) return (0, cumulative);
        (OutageClock memory clk,,) = OutageLib.replay(c, SEQUENCER_FEED, SEQUENCER_GRACE);
        return (clk.since, clk.cumulative);
    }

    /*//////////////////////////////////////////////////////////////
                                 WRITES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuationAdmin
    function reportSale(address collection, uint256 salePrice, uint256 timestamp) external {
        if (!S.layout().reporters[msg.sender]) revert NotReporter(msg.sender);
        _recordSale(collection, salePrice, timestamp, msg.sender);
    }

    /// @inheritdoc IValuationAdmin
    function relaySale(SaleReport calldata report, bytes calldata signature) external {
        address reporter = ECDSA.tryRecoverCalldata(_hashSaleReport(report), signature);
        if (reporter == address(0) || !S.layout().reporters[reporter]) revert InvalidReportSignature(reporter);
        if (block.timestamp > report.deadline) {
            revert ReportExpired(report.collection, report.deadline, block.timestamp);
        }
        uint256 epoch = S.layout().listingEpochs[report.collection];
        if (report.listingEpoch != epoch) revert WrongListingEpoch(report.collection, report.listingEpoch, epoch);
        _recordSale(report.collection, report.price, report.timestamp, reporter);
    }

    /// @inheritdoc IValuationAdmin
    function checkpoint(address collection) external {
        S.Collection storage c = S.layout().collections[collection];
        if (c.clock.asOf == 0) revert CollectionNotListed(collection);
        (OutageClock memory clk, uint256 floorJumpAt) = _checkpoint(c, collection);
        // A jump is an outage: nothing to re-anchor without one.
        if (clk.since == 0) return;
        HeadWord head = HeadWord.wrap(c.headWord);
        (, Status status, uint256 floor,) = _quote(FeedWord.wrap(c.feedWord), head);
        // Jumped is only reported when both sources are otherwise fresh and valid; their new levels are accepted once
        // every jumped source has been jumped for the whole cool-down, counted from its own jump (an outage before
        // it, e.g. a stale feed whose first fresh answer is the jump, does not count).
        if (status != Status.Jumped || block.timestamp < _reanchorAt(c, head, clk.since, floorJumpAt)) return;
        uint256 twap = head.twap();
        c.twap.lastValuedTwap = uint88(twap);
        c.headWord = HeadWord.unwrap(head.withFlags((head.flags() & ~S.TWAP_JUMPED) | S.VALUED).withLastFloor(floor));
        // The latest round is now within the new reference: no source is jumped any more.
        c.clock.floorBad = false;
        delete c.jump;
        emit Reanchored(collection, twap, floor);
    }

    /*//////////////////////////////////////////////////////////////
                            ADMIN (TIMELOCK)
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuationAdmin
    function listCollection(
        address collection,
        address feed,
        uint24 heartbeat,
        uint96 minAnswer,
        uint96 maxAnswer,
        uint88 maxPrice
    ) external onlyTimelock {
        if (collection == address(0)) revert ZeroAddress();
        S.Collection storage c = S.layout().collections[collection];
        if (FeedWord.wrap(c.feedWord).flags() & S.LISTED != 0) revert CollectionAlreadyListed(collection);
        TwapParams memory p = TwapParams({
            maxPrice: maxPrice,
            clampBps: DEFAULT_CLAMP_BPS,
            minSales: DEFAULT_MIN_SALES,
            minWindow: DEFAULT_MIN_WINDOW,
            halfLife: DEFAULT_HALF_LIFE,
            anchorPeriod: DEFAULT_ANCHOR_PERIOD
        });
        ValuationConfigLib.checkTwapParams(collection, p);
        (uint256 feedWord, uint256 maxPacked, uint256 minEff, uint256 maxEff) = ValuationConfigLib.feedWord(
            collection, feed, heartbeat, minAnswer, maxAnswer, DEFAULT_DEVIATION_BPS, S.LISTED, S.layout().assetDecimals
        );
        // Reports signed for an earlier listing are void from now on.
        ++S.layout().listingEpochs[collection];
        // A collection listed before keeps its clock: the unlisted time is recorded as an outage first.
        if (c.clock.asOf == 0) c.clock.asOf = uint32(block.timestamp);
        else _checkpoint(c, collection);
        c.feedWord = feedWord;
        c.headWord = HeadWord.unwrap(HeadWordLibrary.pack(0, 0, 0, 0, maxPacked));
        c.params = p;
        c.twap.twapMaxAge = DEFAULT_TWAP_MAX_AGE;
        // The TWAP is not ready yet: an outage from now on, and the feed's current round recorded.
        _checkpoint(c, collection);
        emit CollectionListed(collection, feed, maxPrice);
        emit FeedSet(collection, feed, heartbeat, minEff, maxEff);
    }

    /// @inheritdoc IValuationAdmin
    function delistCollection(address collection) external onlyTimelock {
        S.Collection storage c = _listed(collection);
        _checkpoint(c, collection);
        delete c.feedWord;
        delete c.headWord;
        delete c.twap;
        delete c.params;
        delete c.anchor;
        delete c.acc;
        delete c.observations;
        delete c.jump;
        emit CollectionDelisted(collection);
    }

    /// @inheritdoc IValuationAdmin
    function setFeed(
        address collection,
        address feed,
        uint24 heartbeat,
        uint96 minAnswer,
        uint96 maxAnswer
    ) external onlyTimelock {
        S.Collection storage c = _listed(collection);
        FeedWord old = FeedWord.wrap(c.feedWord);
        (uint256 feedWord, uint256 maxPacked, uint256 minEff, uint256 maxEff) = ValuationConfigLib.feedWord(
            collection, feed, heartbeat, minAnswer, maxAnswer, old.deviationBps(), old.flags(), S.layout().assetDecimals
        );
        _checkpoint(c, collection);
        c.feedWord = feedWord;
        // A new feed has no jump reference yet.
        c.headWord = HeadWord.unwrap(HeadWord.wrap(c.headWord).withLastFloor(0).withMaxPacked(maxPacked));
        // Record the new feed's current round (judged under the new configuration).
        _checkpoint(c, collection);
        emit FeedSet(collection, feed, heartbeat, minEff, maxEff);
    }

    /// @inheritdoc IValuationAdmin
    function setTwapParams(address collection, TwapParams calldata params) external onlyTimelock {
        S.Collection storage c = _listed(collection);
        ValuationConfigLib.checkTwapParams(collection, params);
        // The weights change with the half-life: the sums are rebuilt at the next write.
        if (params.halfLife != c.params.halfLife) c.twap.accStale = true;
        c.params = params;
        emit TwapParamsSet(collection, params);
    }

    /// @inheritdoc IValuationAdmin
    function setRiskParams(address collection, uint24 twapMaxAge, uint16 deviationBps) external onlyTimelock {
        S.Collection storage c = _listed(collection);
        ValuationConfigLib.checkRiskParams(collection, twapMaxAge, deviationBps, c.params.minWindow);
        _checkpoint(c, collection);
        c.twap.twapMaxAge = twapMaxAge;
        uint256 newest = c.twap.newestTime;
        c.headWord = HeadWord.unwrap(HeadWord.wrap(c.headWord).withStaleAt(newest == 0 ? 0 : newest + twapMaxAge));
        c.feedWord = FeedWord.unwrap(FeedWord.wrap(c.feedWord).withDeviationBps(deviationBps));
        // Re-judge the current round under the new deviation.
        _checkpoint(c, collection);
        emit RiskParamsSet(collection, twapMaxAge, deviationBps);
    }

    /// @inheritdoc IValuationAdmin
    function setReporter(address reporter, bool authorised) external onlyTimelock {
        if (reporter == address(0)) revert ZeroAddress();
        S.layout().reporters[reporter] = authorised;
        emit ReporterSet(reporter, authorised);
    }

    /// @inheritdoc IValuationAdmin
    function setTraitPricer(address pricer) external onlyTimelock {
        S.layout().traitPricer = pricer;
        emit TraitPricerSet(pricer);
    }

    /// @inheritdoc IValuationAdmin
    function unfreeze(address collection) external onlyTimelock {
        S.Collection storage c = _listed(collection);
        FeedWord word = FeedWord.wrap(c.feedWord);
        if (word.flags() & S.FROZEN == 0) revert CollectionNotFrozen(collection);
        _checkpoint(c, collection);
        c.feedWord = FeedWord.unwrap(word.withFlags(S.LISTED));
        emit CollectionUnfrozen(collection);
    }

    /*//////////////////////////////////////////////////////////////
                          GUARDIAN (TIGHTEN ONLY)
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuationAdmin
    function freeze(address collection) external onlyGuardian {
        S.Collection storage c = _listed(collection);
        FeedWord word = FeedWord.wrap(c.feedWord);
        if (word.flags() & S.FROZEN != 0) return;
        _checkpoint(c, collection);
        c.feedWord = FeedWord.unwrap(word.withFlags(S.LISTED | S.FROZEN));
        emit CollectionFrozen(collection, block.timestamp);
    }

    /// @inheritdoc IValuationAdmin
    function revokeReporter(address reporter) external onlyGuardian {
        S.layout().reporters[reporter] = false;
        emit ReporterSet(reporter, false);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuation
    function assetDecimals() external view returns (uint8) {
        return S.layout().assetDecimals;
    }

    /// @inheritdoc IValuation
    function deviationBps(address collection) external view returns (uint256) {
        FeedWord fw = FeedWord.wrap(S.layout().collections[collection].feedWord);
        return fw.flags() & S.LISTED == 0 ? 0 : fw.deviationBps();
    }

    /// @inheritdoc IValuationAdmin
    function traitPricer() external view returns (address) {
        return S.layout().traitPricer;
    }

    /// @inheritdoc IValuationAdmin
    function isReporter(address account) external view returns (bool) {
        return S.layout().reporters[account];
    }

    /// @inheritdoc IValuationAdmin
    function collectionConfig(address collection)
        external
        view
        returns (FeedConfig memory feed, TwapParams memory params, uint256 twapMaxAge)
    {
        S.Collection storage c = S.layout().collections[collection];
        FeedWord a = FeedWord.wrap(c.feedWord);
        uint256 flags = a.flags();
        feed = FeedConfig({
            feed: a.feed(),
            heartbeat: uint24(a.heartbeat()),
            decimalsShift: int8(a.shift()),
            deviationBps: uint16(a.deviationBps()),
            listed: flags & S.LISTED != 0,
            frozen: flags & S.FROZEN != 0,
            minAnswer: a.minAnswer(),
            maxAnswer: HeadWord.wrap(c.headWord).maxAnswer()
        });
        return (feed, c.params, c.twap.twapMaxAge);
    }

    /// @inheritdoc IValuationAdmin
    function twapState(address collection)
        external
        view
        returns (Head memory head, TwapState memory state, ClampAnchor memory anchor, Accumulator memory acc)
    {
        S.Collection storage c = S.layout().collections[collection];
        HeadWord b = HeadWord.wrap(c.headWord);
        uint256 flags = b.flags();
        head = Head({
            twap: b.twap(),
            lastFloor: b.lastFloor(),
            staleAt: b.staleAt(),
            ready: flags & S.READY != 0,
            jumped: flags & S.TWAP_JUMPED != 0,
            valued: flags & S.VALUED != 0
        });
        return (head, c.twap, c.anchor, c.acc);
    }

    /// @inheritdoc IValuationAdmin
    function outageClock(address collection) external view returns (OutageClock memory, SequencerClock memory) {
        S.Collection storage c = S.layout().collections[collection];
        return (c.clock, c.seq);
    }

    /// @inheritdoc IValuationAdmin
    function jumpState(address collection) external view returns (JumpState memory state, uint256 reanchorAt) {
        S.Collection storage c = S.layout().collections[collection];
        state = c.jump;
        (OutageClock memory clk,, OutageLib.FloorJump memory fj) = OutageLib.replay(c, SEQUENCER_FEED, SEQUENCER_GRACE);
        (state.floorAt, state.floorLevel) = (uint32(fj.at), uint88(fj.level));
        HeadWord head = HeadWord.wrap(c.headWord);
        if (fj.at != 0 || head.flags() & S.TWAP_JUMPED != 0) reanchorAt = _reanchorAt(c, head, clk.since, fj.at);
    }

    /// @inheritdoc IValuationAdmin
    function observations(address collection) external view returns (uint256[] memory prices, uint256[] memory times) {
        S.Collection storage c = S.layout().collections[collection];
        TwapState memory st = c.twap;
        prices = new uint256[](st.count);
        times = new uint256[](st.count);
        // When full, the oldest observation sits at `index`; before that, at 0.
        uint256 start = st.count == BUFFER_CAPACITY ? st.index : 0;
        for (uint256 i; i < st.count; ++i) {
            (prices[i], times[i]) = TwapLib.read(c.observations, (start + i) % BUFFER_CAPACITY);
        }
    }

    /// @inheritdoc IValuationAdmin
    function newestObservationAge(address collection) external view returns (uint256) {
        uint256 newest = S.layout().collections[collection].twap.newestTime;
        return newest == 0 ? type(uint256).max : block.timestamp - newest;
    }

    /// @inheritdoc IValuationAdmin
    function minSpacing(address collection) external view returns (uint256) {
        return _minSpacing(S.layout().collections[collection].params.minWindow);
    }

    /// @inheritdoc IValuationAdmin
    function listingEpoch(address collection) external view returns (uint256) {
        return S.layout().listingEpochs[collection];
    }

    /// @inheritdoc IValuationAdmin
    function hashSaleReport(SaleReport calldata report) external view returns (bytes32) {
        return _hashSaleReport(report);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Both sources, in order: listed, frozen, TWAP ready and fresh, sequencer, floor fresh and valid, jumps (a
    /// jump is only reported when everything else is fine). `floor` and `roundId` are set from the feed check on.
    function _quote(
        FeedWord feedWord,
        HeadWord head
    ) internal view returns (uint256 unitPrice, Status status, uint256 floor, uint256 roundId) {
        status = _collectionStatus(feedWord, head);
        if (status != Status.Ok) return (0, status, 0, 0);
        (status, floor, roundId) = _floorStatus(feedWord, head);
        if (status == Status.Ok) unitPrice = ValuationMath.min(head.twap(), floor);
    }

    /// @dev Listing, freeze, TWAP readiness and age, L2 sequencer.
    function _collectionStatus(FeedWord feedWord, HeadWord head) internal view returns (Status) {
        uint256 flags = feedWord.flags();
        if (flags & S.LISTED == 0) return Status.UnknownCollection;
        if (flags & S.FROZEN != 0) return Status.Frozen;
        if (head.flags() & S.READY == 0) return Status.TwapNotReady;
        if (block.timestamp > head.staleAt()) return Status.TwapStale;
        if (SEQUENCER_FEED != address(0)) {
            (bool ok,, int256 down, uint256 startedAt,) = FloorFeedLib.latestRound(SEQUENCER_FEED);
            if (!ok || down != 0 || !FloorFeedLib.sane(startedAt) || block.timestamp - startedAt <= SEQUENCER_GRACE) {
                return Status.SequencerDown;
            }
        }
        return Status.Ok;
    }

    /// @dev Floor freshness, bounds, and the jumps of both sources.
    function _floorStatus(
        FeedWord feedWord,
        HeadWord head
    ) internal view returns (Status, uint256 floor, uint256 roundId) {
        (bool ok, uint256 id, int256 answer,, uint256 updatedAt) = FloorFeedLib.latestRound(feedWord.feed());
        if (!ok || !FloorFeedLib.sane(updatedAt) || block.timestamp - updatedAt > feedWord.heartbeat()) {
            return (Status.FloorStale, 0, 0);
        }
        (bool invalid, bool jumped, uint256 f) = S.judge(answer, feedWord, head);
        if (invalid) return (Status.FloorInvalid, 0, id);
        if (jumped || head.flags() & S.TWAP_JUMPED != 0) return (Status.Jumped, f, id);
        return (Status.Ok, f, id);
    }

    /// @dev Checks; the clamp; effects (observation, sums, anchor, head, TWAP state). The outage clock is recorded
    /// first, under the old head, when the write changes the TWAP's own contribution to it over [asOf, now] or when
    /// its last record is `CLOCK_REFRESH` old.
    /// The only interactions are the static calls of that checkpoint to the feeds.
    function _recordSale(address collection, uint256 salePrice, uint256 timestamp, address reporter) internal {
        S.Collection storage c = S.layout().collections[collection];
        (TwapParams memory p, TwapState memory st) = _checkSale(c, collection, salePrice, timestamp);
        HeadWord head = HeadWord.wrap(c.headWord);
        uint256 recorded = salePrice;
        if (st.count >= p.minSales) recorded = _clamp(c, collection, salePrice, head.twap(), p);
        uint256 avg = _append(c, collection, head, st, p, recorded, timestamp);
        emit SaleObserved(collection, reporter, salePrice, recorded, timestamp, avg);
    }

    /// @dev Every check of a sale: listed, price, time, one per block, spacing.
    function _checkSale(
        S.Collection storage c,
        address collection,
        uint256 salePrice,
        uint256 timestamp
    ) internal view returns (TwapParams memory p, TwapState memory st) {
        if (FeedWord.wrap(c.feedWord).flags() & S.LISTED == 0) revert CollectionNotListed(collection);
        if (salePrice == 0) revert ZeroPrice(collection);
        p = c.params;
        if (salePrice > p.maxPrice) revert SalePriceAboveMax(collection, salePrice, p.maxPrice);
        if (timestamp > block.timestamp) revert ObservationInFuture(collection, timestamp, block.timestamp);
        st = c.twap;
        if (timestamp <= st.newestTime) revert ObservationOutOfOrder(collection, timestamp, st.newestTime);
        if (st.lastWriteBlock == block.number) revert ObservationSameBlock(collection, block.number);
        if (st.count != 0) {
            uint256 earliest = uint256(st.newestTime) + _minSpacing(p.minWindow);
            if (timestamp < earliest) revert ObservationTooSoon(collection, timestamp, earliest);
        }
    }

    /// @dev Appends the recorded sale, derives readiness and the TWAP jump, and stores head and TWAP state.
    function _append(
        S.Collection storage c,
        address collection,
        HeadWord head,
        TwapState memory st,
        TwapParams memory p,
        uint256 recorded,
        uint256 timestamp
    ) internal returns (uint256 avg) {
        // The TWAP jump reference: the TWAP in force at the first valuation; afterwards it moves only at a re-anchor
        // (`checkpoint`), so sales cannot walk it down in unflagged steps.
        if (st.lastValuedTwap == 0 && head.flags() & S.VALUED != 0) st.lastValuedTwap = uint88(head.twap());
        bool ready;
        // Ready: enough sales, over the window, still carrying enough weight (see `TwapLib.append`).
        (avg, ready, st) = TwapLib.append(c, st, recorded, timestamp, p);
        FeedWord feedWord = FeedWord.wrap(c.feedWord);
        uint256 flags;
        if (ready) {
            flags = S.READY;
            if (
                st.lastValuedTwap != 0 && ValuationMath.deviatesAtLeast(avg, st.lastValuedTwap, feedWord.deviationBps())
            ) {
                flags |= S.TWAP_JUMPED;
            }
        }
        if (flags & S.TWAP_JUMPED != 0) _trackTwapJump(c, head, avg, feedWord.deviationBps());
        // Safe casts: avg <= the largest recorded price <= maxPrice < 2^88; times < 2^32 until 2106.
        HeadWord next = HeadWordLibrary.pack(avg, head.lastFloor(), timestamp + st.twapMaxAge, flags, head.maxPacked());
        if (_twapSideChanges(feedWord, head, next) || block.timestamp >= uint256(c.clock.asOf) + CLOCK_REFRESH) {
            _checkpoint(c, collection);
        }
        c.headWord = HeadWord.unwrap(next);
        st.lastWriteBlock = uint48(block.number);
        st.newestTime = uint32(timestamp);
        c.twap = st;
    }

    /// @dev The TWAP's jump cool-down at a write that leaves it jumped: it starts now when the TWAP was not jumped
    /// before this write (whatever outage came before, e.g. a stale TWAP), and restarts when the TWAP is beyond the
    /// deviation from the level it started at.
    function _trackTwapJump(S.Collection storage c, HeadWord head, uint256 avg, uint256 deviationBps) internal {
        JumpState storage js = c.jump;
        if (head.flags() & S.TWAP_JUMPED != 0 && !ValuationMath.deviatesAtLeast(avg, js.twapLevel, deviationBps)) {
            return;
        }
        // Safe casts: times < 2^32 until 2106; avg <= maxPrice < 2^88.
        (js.twapAt, js.twapLevel) = (uint32(block.timestamp), uint88(avg));
    }

    /// @dev When `checkpoint` may re-anchor a jump: `JUMP_COOLDOWN` after the latest start of a jumped source's
    /// cool-down (the floor's `floorJumpAt`, the TWAP's `twapAt` while it is jumped), and never before the outage has
    /// lasted that long (`since`; this also covers a TWAP jump recorded before cool-downs were tracked).
    function _reanchorAt(
        S.Collection storage c,
        HeadWord head,
        uint256 since,
        uint256 floorJumpAt
    ) internal view returns (uint256) {
        uint256 from = ValuationMath.max(since, floorJumpAt);
        if (head.flags() & S.TWAP_JUMPED != 0) from = ValuationMath.max(from, c.jump.twapAt);
        return from + JUMP_COOLDOWN;
    }

    /// @dev Moves the clamp anchor when its period has passed (see `ClampAnchor`) and clamps `salePrice` around it.
    function _clamp(
        S.Collection storage c,
        address collection,
        uint256 salePrice,
        uint256 twap,
        TwapParams memory p
    ) internal returns (uint256) {
        ClampAnchor memory an = c.anchor;
        if (an.anchor == 0) {
            an = ClampAnchor({anchor: uint88(twap), pending: uint88(twap), pendingAt: uint32(block.timestamp)});
            c.anchor = an;
            emit ClampAnchorMoved(collection, twap, twap);
        } else if (block.timestamp >= uint256(an.pendingAt) + p.anchorPeriod) {
            an = ClampAnchor({anchor: an.pending, pending: uint88(twap), pendingAt: uint32(block.timestamp)});
            c.anchor = an;
            emit ClampAnchorMoved(collection, an.anchor, twap);
        }
        return ValuationMath.clampToBandDown(salePrice, an.anchor, p.clampBps);
    }

    /// @dev Whether replacing `head` by `next` changes the collection side of the outage over [asOf, now]: it does
    /// not when both are unusable throughout, or both usable throughout (ready, not jumped, fresh until now).
    function _twapSideChanges(FeedWord feedWord, HeadWord head, HeadWord next) internal view returns (bool) {
        bool outBefore = S.alwaysOut(feedWord, head);
        bool outAfter = S.alwaysOut(feedWord, next);
        if (outBefore && outAfter) return false;
        if (outBefore || outAfter) return true;
        return head.staleAt() < block.timestamp || next.staleAt() < block.timestamp;
    }

    /// @dev The common case of `outage`, without the replay: on L1, no outage open at the last record, the collection
    /// usable now, and the floor fine now with at most one round since the record, which was fine and fresh until
    /// it. The replay then finds no bad interval: the clock is the recorded one. `quiet == false`: replay.
    function _quietClock(S.Collection storage c) internal view returns (bool quiet, uint64 cumulative) {
        OutageClock memory clk = c.clock;
        if (clk.since != 0 || clk.asOf == 0 || SEQUENCER_FEED != address(0)) return (false, 0);
        FeedWord feedWord = FeedWord.wrap(c.feedWord);
        HeadWord head = HeadWord.wrap(c.headWord);
        if (S.alwaysOut(feedWord, head) || head.staleAt() < block.timestamp) return (false, 0);
        (bool ok, uint256 id, int256 answer,, uint256 updatedAt) = FloorFeedLib.latestRound(feedWord.feed());
        uint256 heartbeat = feedWord.heartbeat();
        if (!ok || !FloorFeedLib.sane(updatedAt) || block.timestamp - updatedAt > heartbeat) return (false, 0);
        (bool invalid, bool jumped,) = S.judge(answer, feedWord, head);
        if (invalid || jumped) return (false, 0);
        quiet = updatedAt <= clk.asOf || id == clk.floorRound
            || (id == uint256(clk.floorRound) + 1 && !clk.floorBad && uint256(clk.floorTime) + heartbeat >= updatedAt);
        return (quiet, clk.cumulative);
    }

    /// @dev Records the clock (what `outage` reports now) and the floor's jump cool-down, and returns both (the
    /// cool-down's start: 0 when the floor has not jumped).
    function _checkpoint(
        S.Collection storage c,
        address collection
    ) internal returns (OutageClock memory clk, uint256 floorJumpAt) {
        SequencerClock memory seq;
        OutageLib.FloorJump memory fj;
        // The stored cool-down can be non-zero only when the recorded round is bad (the replay's invariant).
        bool stored = c.clock.floorBad;
        (clk, seq, fj) = OutageLib.replay(c, SEQUENCER_FEED, SEQUENCER_GRACE);
        c.clock = clk;
        if (SEQUENCER_FEED != address(0)) c.seq = seq;
        JumpState storage js = c.jump;
        if (stored ? js.floorAt != fj.at || js.floorLevel != fj.level : fj.at != 0) {
            // Safe casts: times < 2^32 until 2106; floors fit uint88 (checked at configuration).
            (js.floorAt, js.floorLevel) = (uint32(fj.at), uint88(fj.level));
        }
        emit OutageCheckpointed(collection, clk.since, clk.cumulative);
        return (clk, fj.at);
    }

    function _minSpacing(uint256 minWindow) internal pure returns (uint256) {
        return (minWindow + BUFFER_CAPACITY - 2) / (BUFFER_CAPACITY - 1);
    }

    function _listed(address collection) internal view returns (S.Collection storage c) {
        c = S.layout().collections[collection];
        if (FeedWord.wrap(c.feedWord).flags() & S.LISTED == 0) revert CollectionNotListed(collection);
    }

    function _hashSaleReport(SaleReport calldata r) internal view returns (bytes32) {
        return _hashTypedData(
            keccak256(abi.encode(SALE_REPORT_TYPEHASH, r.collection, r.price, r.timestamp, r.listingEpoch, r.deadline))
        );
    }

    function _domainNameAndVersion() internal pure override returns (string memory, string memory) {
        return ("NFTLend Valuation", "1");
    }
}
