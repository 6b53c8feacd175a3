// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Governed} from "../admin/Governed.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {ITraitPricer} from "../interfaces/ITraitPricer.sol";
import {IValuation} from "../interfaces/IValuation.sol";
import {IValuationAdmin} from "../interfaces/IValuationAdmin.sol";
import {FloorFeedLib} from "../libraries/FloorFeedLib.sol";
import {TwapLib} from "../libraries/TwapLib.sol";
import {ValuationConfigLib} from "../libraries/ValuationConfigLib.sol";
import {ValuationMath} from "../libraries/ValuationMath.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {EIP712} from "solady/utils/EIP712.sol";

/// @title Valuation
/// @notice Sales TWAP (ring buffer per collection) + Chainlink-style floor feed, with jump and outage tracking.
/// @dev The TWAP is computed when a sale is written and stored in the per-collection `Head` slot, so a read costs the
/// three read-path slots (`FeedConfig`, `FeedBounds`, `Head`) plus the feed call (and the sequencer feed on L2s).
/// The L2 sequencer feed and its grace period are implementation immutables: they are chain constants, and changing
/// them is an upgrade (timelock only).
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
    /// @notice Default clamp band around the current average: +-10 %.
    uint16 public constant DEFAULT_CLAMP_BPS = 1000;
    /// @notice Default maximum age of the newest sale.
    uint24 public constant DEFAULT_TWAP_MAX_AGE = 24 hours;
    /// @notice Default jump deviation of either source since the last recorded valuation: 20 %.
    uint16 public constant DEFAULT_DEVIATION_BPS = 2000;
    /// @notice Recorded outage a jump must last before anyone may move the references to the new prices.
    uint256 public constant JUMP_COOLDOWN = 1 hours;
    /// @notice Default L2 sequencer grace period (used by deployments; the value in force is `SEQUENCER_GRACE`).
    uint256 public constant DEFAULT_SEQUENCER_GRACE = 1 hours;

    uint24 internal constant MAX_TWAP_MAX_AGE = 30 days;
    uint16 internal constant MIN_DEVIATION_BPS = 100;
    uint16 internal constant MAX_DEVIATION_BPS = 5000;
    uint8 internal constant MAX_FEED_DECIMALS = 36;

    uint8 internal constant FLAG_READY = 1;
    uint8 internal constant FLAG_JUMPED = 2;
    uint8 internal constant FLAG_VALUED = 4;

    /// @notice EIP-712 type hash of `SaleReport`.
    bytes32 public constant SALE_REPORT_TYPEHASH =
        keccak256("SaleReport(address collection,uint256 price,uint256 timestamp)");

    /// @notice L2 sequencer-uptime feed (zero on L1).
    address public immutable SEQUENCER_FEED;
    /// @notice Seconds after a sequencer restart during which nothing is priced.
    uint256 public immutable SEQUENCER_GRACE;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev Per-collection storage: 5 header slots, then 8 observation slots.
    struct Collection {
        FeedConfig feed;
        FeedBounds bounds;
        Head head;
        Cursor cursor;
        TwapParams params;
        uint256[8] observations;
    }

    /// @custom:storage-location erc7201:nftlend.storage.Valuation
    struct ValuationStorage {
        uint8 assetDecimals;
        address traitPricer;
        mapping(address reporter => bool) reporters;
        mapping(address collection => Collection) collections;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("nftlend.storage.Valuation")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant VALUATION_SLOT = 0xcdeba9e8cb8d93d09fd26c9920928c089afc9aae48459448a7e8f306587cd000;

    function _storage() private pure returns (ValuationStorage storage $) {
        assembly ("memory-safe") {
            $.slot := VALUATION_SLOT
        }
    }

    /// @dev The outcome of evaluating both sources.
    struct Eval {
        uint256 price;
        Status status;
        uint256 since;
        uint256 floor;
    }

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
        if (assetDecimals_ > MAX_FEED_DECIMALS) revert InvalidFeedConfig(address(0), "assetDecimals");
        __Governed_init(timelock_, guardian_);
        _storage().assetDecimals = assetDecimals_;
    }

    /*//////////////////////////////////////////////////////////////
                              POOL-FACING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuation
    function price(address collection) external returns (uint256) {
        Collection storage c = _storage().collections[collection];
        (Eval memory e, Head memory h) = _evaluate(c);
        if (e.status != Status.Ok) revert ValuationUnavailable(collection, e.status);
        // Effects only when something changed: the common read costs no SSTORE.
        _recordOk(c, collection, h, e, true);
        return e.price;
    }

    /// @inheritdoc IValuation
    function priceView(address collection) external view returns (uint256 unitPrice, Status status) {
        (Eval memory e,) = _evaluate(_storage().collections[collection]);
        return (e.price, e.status);
    }

    /// @inheritdoc IValuation
    function traitPremium(
        address collection,
        uint256 tokenId,
        uint256 premium,
        bytes32[] calldata proof,
        uint256 unitPrice
    ) external view returns (uint256 cappedPremium) {
        address pricer = _storage().traitPricer;
        if (pricer == address(0)) revert TraitPricerNotSet();
        return ITraitPricer(pricer).cappedPremium(collection, tokenId, premium, proof, unitPrice);
    }

    /// @inheritdoc IValuation
    /// @dev Precision: a recorded outage is reported as running until the next touch (price(), an observation write
    /// or `checkpoint`), which records its end at that touch; so an ended outage may be over-counted by the time
    /// between its real end and the next touch. An outage that starts and ends with no touch at all is never
    /// recorded. Unrecorded outages are computed from the sources: feed `updatedAt + heartbeat`, newest sale
    /// `+ twapMaxAge`, the sequencer's `startedAt`, the guardian's freeze time, or the time of the jumping update.
    function outage(address collection) external view returns (uint64 since, uint64 cumulative) {
        Collection storage c = _storage().collections[collection];
        cumulative = c.cursor.cumulativeOutage;
        uint256 recorded = c.head.outageSince;
        if (recorded != 0) return (uint64(recorded), cumulative);
        if (!c.feed.listed) return (0, cumulative);
        (Eval memory e,) = _evaluate(c);
        if (e.status != Status.Ok) since = uint64(e.since);
    }

    /*//////////////////////////////////////////////////////////////
                                 WRITES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuationAdmin
    function reportSale(address collection, uint256 salePrice, uint256 timestamp) external {
        if (!_storage().reporters[msg.sender]) revert NotReporter(msg.sender);
        _recordSale(collection, salePrice, timestamp, msg.sender);
    }

    /// @inheritdoc IValuationAdmin
    function relaySale(SaleReport calldata report, bytes calldata signature) external {
        address reporter = ECDSA.tryRecoverCalldata(_hashSaleReport(report), signature);
        if (reporter == address(0) || !_storage().reporters[reporter]) revert InvalidReportSignature(reporter);
        _recordSale(report.collection, report.price, report.timestamp, reporter);
    }

    /// @inheritdoc IValuationAdmin
    function checkpoint(address collection) external {
        Collection storage c = _storage().collections[collection];
        if (!c.feed.listed) revert CollectionNotListed(collection);
        _touch(c, collection);
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
        Collection storage c = _storage().collections[collection];
        if (collection == address(0)) revert InvalidFeedConfig(collection, "collection");
        if (c.feed.listed) revert CollectionAlreadyListed(collection);
        TwapParams memory params = TwapParams({
            maxPrice: maxPrice,
            clampBps: DEFAULT_CLAMP_BPS,
            minSales: DEFAULT_MIN_SALES,
            minWindow: DEFAULT_MIN_WINDOW,
            halfLife: DEFAULT_HALF_LIFE
        });
        ValuationConfigLib.checkTwapParams(collection, params);
        FeedConfig memory cfg =
            ValuationConfigLib.checkedFeed(collection, feed, heartbeat, minAnswer, maxAnswer, _storage().assetDecimals);
        cfg.twapMaxAge = DEFAULT_TWAP_MAX_AGE;
        cfg.deviationBps = DEFAULT_DEVIATION_BPS;
        c.feed = cfg;
        c.bounds = FeedBounds({minAnswer: minAnswer, maxAnswer: maxAnswer, frozenAt: 0});
        c.params = params;
        emit CollectionListed(collection, feed, maxPrice);
        emit FeedSet(collection, feed, heartbeat, minAnswer, maxAnswer);
    }

    /// @inheritdoc IValuationAdmin
    function delistCollection(address collection) external onlyTimelock {
        Collection storage c = _storage().collections[collection];
        if (!c.feed.listed) revert CollectionNotListed(collection);
        delete _storage().collections[collection];
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
        Collection storage c = _listed(collection);
        FeedConfig memory cfg =
            ValuationConfigLib.checkedFeed(collection, feed, heartbeat, minAnswer, maxAnswer, _storage().assetDecimals);
        FeedConfig memory old = c.feed;
        cfg.twapMaxAge = old.twapMaxAge;
        cfg.deviationBps = old.deviationBps;
        c.feed = cfg;
        uint40 frozenAt = c.bounds.frozenAt;
        c.bounds = FeedBounds({minAnswer: minAnswer, maxAnswer: maxAnswer, frozenAt: frozenAt});
        // A new feed has no jump reference yet.
        c.head.lastFloor = 0;
        emit FeedSet(collection, feed, heartbeat, minAnswer, maxAnswer);
    }

    /// @inheritdoc IValuationAdmin
    function setTwapParams(address collection, TwapParams calldata params) external onlyTimelock {
        Collection storage c = _listed(collection);
        ValuationConfigLib.checkTwapParams(collection, params);
        c.params = params;
        emit TwapParamsSet(collection, params);
    }

    /// @inheritdoc IValuationAdmin
    function setRiskParams(address collection, uint24 twapMaxAge, uint16 deviationBps) external onlyTimelock {
        Collection storage c = _listed(collection);
        if (twapMaxAge < DEFAULT_MIN_WINDOW || twapMaxAge > MAX_TWAP_MAX_AGE) {
            revert InvalidTwapParams(collection, "twapMaxAge");
        }
        if (deviationBps < MIN_DEVIATION_BPS || deviationBps > MAX_DEVIATION_BPS) {
            revert InvalidTwapParams(collection, "deviationBps");
        }
        c.feed.twapMaxAge = twapMaxAge;
        c.feed.deviationBps = deviationBps;
        emit RiskParamsSet(collection, twapMaxAge, deviationBps);
    }

    /// @inheritdoc IValuationAdmin
    function setReporter(address reporter, bool authorised) external onlyTimelock {
        if (reporter == address(0)) revert ZeroAddress();
        _storage().reporters[reporter] = authorised;
        emit ReporterSet(reporter, authorised);
    }

    /// @inheritdoc IValuationAdmin
    function setTraitPricer(address pricer) external onlyTimelock {
        _storage().traitPricer = pricer;
        emit TraitPricerSet(pricer);
    }

    /// @inheritdoc IValuationAdmin
    function unfreeze(address collection) external onlyTimelock {
        Collection storage c = _listed(collection);
        if (c.bounds.frozenAt == 0) revert CollectionNotFrozen(collection);
        c.bounds.frozenAt = 0;
        emit CollectionUnfrozen(collection);
    }

    /*//////////////////////////////////////////////////////////////
                          GUARDIAN (TIGHTEN ONLY)
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuationAdmin
    function freeze(address collection) external onlyGuardian {
        Collection storage c = _listed(collection);
        if (c.bounds.frozenAt != 0) return;
        c.bounds.frozenAt = uint40(block.timestamp);
        emit CollectionFrozen(collection, block.timestamp);
        // Record the outage start now so that running auctions see it at once.
        Head memory h = c.head;
        if (h.outageSince == 0) {
            c.head.outageSince = uint32(block.timestamp);
            emit OutageStarted(collection, block.timestamp, Status.UnknownCollection);
        }
    }

    /// @inheritdoc IValuationAdmin
    function revokeReporter(address reporter) external onlyGuardian {
        _storage().reporters[reporter] = false;
        emit ReporterSet(reporter, false);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IValuationAdmin
    function assetDecimals() external view returns (uint8) {
        return _storage().assetDecimals;
    }

    /// @inheritdoc IValuationAdmin
    function traitPricer() external view returns (address) {
        return _storage().traitPricer;
    }

    /// @inheritdoc IValuationAdmin
    function isReporter(address account) external view returns (bool) {
        return _storage().reporters[account];
    }

    /// @inheritdoc IValuationAdmin
    function collectionConfig(address collection)
        external
        view
        returns (FeedConfig memory feed, FeedBounds memory bounds, TwapParams memory params)
    {
        Collection storage c = _storage().collections[collection];
        return (c.feed, c.bounds, c.params);
    }

    /// @inheritdoc IValuationAdmin
    function twapState(address collection) external view returns (Head memory head, Cursor memory cursor) {
        Collection storage c = _storage().collections[collection];
        return (c.head, c.cursor);
    }

    /// @inheritdoc IValuationAdmin
    function observations(address collection) external view returns (uint256[] memory prices, uint256[] memory times) {
        Collection storage c = _storage().collections[collection];
        Cursor memory cur = c.cursor;
        prices = new uint256[](cur.count);
        times = new uint256[](cur.count);
        // When full, the oldest observation sits at `index`; before that, at 0.
        uint256 start = cur.count == BUFFER_CAPACITY ? cur.index : 0;
        for (uint256 i; i < cur.count; ++i) {
            (prices[i], times[i]) = TwapLib.read(c.observations, (start + i) % BUFFER_CAPACITY);
        }
    }

    /// @inheritdoc IValuationAdmin
    function newestObservationAge(address collection) external view returns (uint256) {
        uint256 newest = _storage().collections[collection].head.newestTime;
        return newest == 0 ? type(uint256).max : block.timestamp - newest;
    }

    /// @inheritdoc IValuationAdmin
    function hashSaleReport(SaleReport calldata report) external view returns (bytes32) {
        return _hashSaleReport(report);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Checks, effects (buffer, head, cursor), then the outage checkpoint, whose only interaction is the
    /// static call to the feeds.
    function _recordSale(address collection, uint256 salePrice, uint256 timestamp, address reporter) internal {
        Collection storage c = _storage().collections[collection];
        FeedConfig memory cfg = c.feed;
        if (!cfg.listed) revert CollectionNotListed(collection);
        if (salePrice == 0) revert ZeroPrice(collection);
        TwapParams memory p = c.params;
        if (salePrice > p.maxPrice) revert PriceAboveMax(collection, salePrice, p.maxPrice);
        if (timestamp > block.timestamp) revert ObservationInFuture(collection, timestamp, block.timestamp);
        Head memory h = c.head;
        if (timestamp <= h.newestTime) revert ObservationOutOfOrder(collection, timestamp, h.newestTime);
        Cursor memory cur = c.cursor;
        if (cur.lastWriteBlock == block.number) revert ObservationSameBlock(collection, block.number);

        // Clamp once an average over `minSales` sales exists (whether or not the window is covered yet, so that a
        // burst which shrinks the window cannot escape the clamp).
        uint256 recorded = salePrice;
        if (cur.count >= p.minSales) recorded = ValuationMath.clampToBandDown(salePrice, h.twap, p.clampBps);
        uint256 avg = _appendObservation(c, h, cur, p, cfg.deviationBps, recorded, timestamp);
        emit SaleObserved(collection, reporter, salePrice, recorded, timestamp, avg);

        _touch(c, collection);
    }

    /// @dev Writes the observation, recomputes the weighted average, readiness and the TWAP jump flag, and stores the
    /// head and cursor (one SSTORE each).
    function _appendObservation(
        Collection storage c,
        Head memory h,
        Cursor memory cur,
        TwapParams memory p,
        uint16 deviationBps,
        uint256 recorded,
        uint256 timestamp
    ) internal returns (uint256 avg) {
        TwapLib.write(c.observations, cur.index, recorded, timestamp);
        cur.index = uint8((cur.index + 1) % BUFFER_CAPACITY);
        if (cur.count < BUFFER_CAPACITY) ++cur.count;
        cur.lastWriteBlock = uint64(block.number);

        uint256 oldest;
        (avg, oldest) = TwapLib.weightedAverageDown(c.observations, cur.count, timestamp, p.halfLife);
        bool ready = cur.count >= p.minSales && timestamp - oldest >= p.minWindow;
        uint8 flags = h.flags & ~(FLAG_READY | FLAG_JUMPED | FLAG_VALUED);
        if (ready) flags |= FLAG_READY;
        if (ready && cur.lastValuedTwap != 0 && ValuationMath.deviatesBeyond(avg, cur.lastValuedTwap, deviationBps)) {
            flags |= FLAG_JUMPED;
        }
        // Safe casts: recorded <= maxPrice <= type(uint88).max, and so is every average; timestamp <= now < 2^32.
        h.twap = uint88(avg);
        h.newestTime = uint32(timestamp);
        h.flags = flags;
        c.head = h;
        c.cursor = cur;
    }

    /// @dev Records the outage state: opens, closes, or re-anchors after a jump cool-down.
    function _touch(Collection storage c, address collection) internal {
        (Eval memory e, Head memory h) = _evaluate(c);
        if (e.status == Status.Ok) {
            // A touch is not a valuation: it closes outages but leaves the jump references alone.
            _recordOk(c, collection, h, e, false);
            return;
        }
        if (h.outageSince == 0) {
            c.head.outageSince = uint32(e.since);
            emit OutageStarted(collection, e.since, e.status);
        } else if (e.status == Status.Jumped && block.timestamp >= uint256(h.outageSince) + JUMP_COOLDOWN) {
            // Both sources are fresh and valid (Jumped is only reported then): accept their new levels.
            h.lastFloor = uint88(e.floor);
            h.flags = (h.flags & ~FLAG_JUMPED) | FLAG_VALUED;
            c.cursor.lastValuedTwap = h.twap;
            emit Reanchored(collection, h.twap, e.floor);
            _closeOutage(c, collection, h);
            c.head = h;
        }
    }

    /// @dev When both sources are fine: close a recorded outage and, for a valuation (`price`), move the jump
    /// references to the current sources. Writes only what changed.
    function _recordOk(
        Collection storage c,
        address collection,
        Head memory h,
        Eval memory e,
        bool valuation
    ) internal {
        bool dirty;
        if (valuation && h.lastFloor != e.floor) {
            h.lastFloor = uint88(e.floor);
            dirty = true;
        }
        if (valuation && h.flags & FLAG_VALUED == 0) {
            c.cursor.lastValuedTwap = h.twap;
            h.flags |= FLAG_VALUED;
            dirty = true;
        }
        if (h.outageSince != 0) {
            _closeOutage(c, collection, h);
            dirty = true;
        }
        if (dirty) c.head = h;
    }

    function _closeOutage(Collection storage c, address collection, Head memory h) internal {
        uint256 duration = block.timestamp - h.outageSince;
        uint64 cumulative = c.cursor.cumulativeOutage + uint64(duration);
        c.cursor.cumulativeOutage = cumulative;
        h.outageSince = 0;
        emit OutageEnded(collection, duration, cumulative);
    }

    /// @dev Evaluates both sources. Order: listed, frozen, TWAP readiness and age, sequencer, feed, jumps.
    function _evaluate(Collection storage c) internal view returns (Eval memory e, Head memory h) {
        FeedConfig memory cfg = c.feed;
        h = c.head;
        if (!cfg.listed) return (_fail(Status.UnknownCollection, block.timestamp), h);
        FeedBounds memory b = c.bounds;
        if (b.frozenAt != 0) return (_fail(Status.UnknownCollection, b.frozenAt), h);
        if (h.flags & FLAG_READY == 0) {
            return (_fail(Status.TwapNotReady, h.newestTime == 0 ? block.timestamp : h.newestTime), h);
        }
        if (block.timestamp - h.newestTime > cfg.twapMaxAge) {
            return (_fail(Status.TwapStale, uint256(h.newestTime) + cfg.twapMaxAge), h);
        }
        if (SEQUENCER_FEED != address(0)) {
            (bool up, uint256 downSince) = FloorFeedLib.sequencerUp(SEQUENCER_FEED, SEQUENCER_GRACE);
            if (!up) return (_fail(Status.FloorStale, downSince), h);
        }
        (uint256 floor, Status s, uint256 since, uint256 updatedAt) =
            FloorFeedLib.readFloor(cfg.feed, cfg.heartbeat, cfg.decimalsShift, b.minAnswer, b.maxAnswer);
        if (s != Status.Ok) return (_fail(s, since), h);
        e.floor = floor;
        if (h.flags & FLAG_JUMPED != 0) {
            e.status = Status.Jumped;
            e.since = _clampSince(h.newestTime);
            return (e, h);
        }
        if (h.lastFloor != 0 && ValuationMath.deviatesBeyond(floor, h.lastFloor, cfg.deviationBps)) {
            e.status = Status.Jumped;
            e.since = _clampSince(updatedAt);
            return (e, h);
        }
        e.price = ValuationMath.min(h.twap, floor);
    }

    function _fail(Status status, uint256 since) internal view returns (Eval memory e) {
        e.status = status;
        e.since = _clampSince(since);
    }

    /// @dev An outage start is in [1, now].
    function _clampSince(uint256 since) internal view returns (uint256) {
        if (since > block.timestamp) return block.timestamp;
        return since == 0 ? 1 : since;
    }

    function _listed(address collection) internal view returns (Collection storage c) {
        c = _storage().collections[collection];
        if (!c.feed.listed) revert CollectionNotListed(collection);
    }

    function _hashSaleReport(SaleReport calldata r) internal view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(SALE_REPORT_TYPEHASH, r.collection, r.price, r.timestamp)));
    }

    function _domainNameAndVersion() internal pure override returns (string memory, string memory) {
        return ("NFTLend Valuation", "1");
    }
}
