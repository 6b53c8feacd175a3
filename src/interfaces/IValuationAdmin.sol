// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IValuation} from "./IValuation.sol";

/// @title IValuationAdmin
/// @notice Everything the Valuation contract exposes beyond the pool-facing `IValuation`: the sales TWAP writers
/// (authorised reporters and relayed EIP-712 reports), outage checkpoints, timelock-only configuration and the
/// guardian's tighten-only powers.
/// @dev Value = min(TWAP, floor) x haircut. This contract returns min(TWAP, floor); the pool completes the product with
/// the `haircutBps` of the loan's terms record, through `PoolMath.mulBpsDown` (rounded down).
///
/// Storage per collection. A valuation read touches exactly two slots, plus the feed (and the sequencer feed on L2):
/// - feed word: feed address, heartbeat, decimal shift, jump deviation, listed/frozen flags, packed min answer;
/// - head word: the time-decay weighted TWAP (maintained at write time), the floor recorded at the last valuation,
///   the time the TWAP goes stale, status flags, packed max answer.
/// Everything else (`TwapState`, `TwapParams`, `ClampAnchor`, `Accumulator`, `OutageClock`, `SequencerClock`,
/// 8 observation slots) is read by writes, checkpoints and the `outage` view only.
interface IValuationAdmin is IValuation {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice The floor-feed configuration of a collection, as used (decoded from the feed and head words).
    /// @param feed AggregatorV3Interface answering in the pool asset (any decimals).
    /// @param heartbeat Maximum age of the feed's `updatedAt`, in seconds.
    /// @param decimalsShift Pool-asset decimals minus feed decimals, used to normalise the answer.
    /// @param deviationBps Largest move of either source since the last valuation before it counts as a jump.
    /// @param listed Whether the collection is priced at all.
    /// @param frozen Whether the guardian froze it.
    /// @param minAnswer Effective lower bound (feed units): the configured one rounded UP to 32 significant bits.
    /// @param maxAnswer Effective upper bound (feed units): the configured one rounded DOWN to 32 significant bits.
    /// An answer is accepted only when `minAnswer < answer < maxAnswer`.
    struct FeedConfig {
        address feed;
        uint24 heartbeat;
        int8 decimalsShift;
        uint16 deviationBps;
        bool listed;
        bool frozen;
        uint256 minAnswer;
        uint256 maxAnswer;
    }

    /// @notice The hot TWAP state (decoded from the head word).
    /// @param twap Time-decay weighted average of the kept sales, pool-asset units, as of the newest write.
    /// @param lastFloor Normalised floor recorded at the last valuation: the reference of floor jump detection.
    /// @param staleAt Newest sale time + `twapMaxAge`: after it, the TWAP is stale (0 before the first sale).
    /// @param ready At least `minSales` kept sales spanning at least `minWindow` seconds.
    /// @param jumped The TWAP is more than `deviationBps` away from the TWAP at the last valuation.
    /// @param valued `twap` has been used by a valuation since it was written.
    struct Head {
        uint256 twap;
        uint256 lastFloor;
        uint256 staleAt;
        bool ready;
        bool jumped;
        bool valued;
    }

    /// @notice Write-side TWAP bookkeeping (one storage slot).
    /// @param lastWriteBlock Block of the newest observation (one observation per block per collection).
    /// @param newestTime Timestamp of the newest kept sale (uint32: valid until 2106).
    /// @param accBase Reference time of the weight accumulator (see `TwapLib`).
    /// @param twapMaxAge Maximum age of the newest sale before the TWAP is stale, in seconds.
    /// @param index Ring position the next observation overwrites.
    /// @param count Number of kept observations (at most the buffer capacity).
    /// @param accStale The accumulator must be rebuilt at the next write (the half-life changed).
    /// @param lastValuedTwap TWAP at the last valuation before the newest write: the reference of TWAP jumps.
    struct TwapState {
        uint48 lastWriteBlock;
        uint32 newestTime;
        uint32 accBase;
        uint24 twapMaxAge;
        uint8 index;
        uint8 count;
        bool accStale;
        uint88 lastValuedTwap;
    }

    /// @notice TWAP parameters, read only by writes (one storage slot).
    /// @param maxPrice Largest sale price accepted at all (absurd-price guard), pool-asset units.
    /// @param clampBps Once `minSales` sales exist, each sale is clamped to +-clampBps around the clamp anchor.
    /// @param minSales Sales needed before the TWAP reports.
    /// @param minWindow Seconds between the oldest and newest kept sale needed before the TWAP reports. Sales closer
    /// than `minWindow / 15` (rounded up) to the newest kept sale are refused, so a full buffer always covers it.
    /// @param halfLife Half-life, in seconds, of a sale's weight measured back from the newest sale.
    /// @param anchorPeriod The clamp anchor moves to a TWAP captured one period earlier, at most once per period.
    struct TwapParams {
        uint88 maxPrice;
        uint16 clampBps;
        uint8 minSales;
        uint24 minWindow;
        uint24 halfLife;
        uint24 anchorPeriod;
    }

    /// @notice The centre of the clamp band (one storage slot).
    /// @dev At a write at least `anchorPeriod` after `pendingAt`: `anchor = pending`, then `pending` = the TWAP before
    /// that write and `pendingAt = now`. A TWAP captured during an attack therefore becomes the anchor no earlier than
    /// one full period later: within any `anchorPeriod`, every sale is clamped around a TWAP from before it.
    /// @param anchor Current centre of the clamp band.
    /// @param pending TWAP captured at `pendingAt`, the next anchor.
    /// @param pendingAt Block time of that capture.
    struct ClampAnchor {
        uint88 anchor;
        uint88 pending;
        uint32 pendingAt;
    }

    /// @notice Sums of the TWAP: `num = sum(price_i x w_i)`, `den = sum(w_i)`, `w_i = 2^((t_i - accBase) / halfLife)`
    /// in WAD; the TWAP is `num / den` (one storage slot).
    struct Accumulator {
        uint168 num;
        uint80 den;
    }

    /// @notice The outage clock as recorded at the last checkpoint (one storage slot).
    /// @param since Start of the outage running at `asOf`, or 0.
    /// @param asOf Time of the last checkpoint (0: never listed, no clock).
    /// @param cumulative Seconds of ended outages up to `asOf`.
    /// @param floorRound Floor-feed round in force at `asOf` (0 when the feed failed then).
    /// @param floorTime Its `updatedAt`.
    /// @param floorBad Whether that round was invalid or jumped (under the references in force after `asOf`).
    struct OutageClock {
        uint32 since;
        uint32 asOf;
        uint32 cumulative;
        uint80 floorRound;
        uint32 floorTime;
        bool floorBad;
    }

    /// @notice The sequencer-uptime round in force at the last checkpoint (L2 only; one storage slot).
    struct SequencerClock {
        uint80 round;
        uint32 startedAt;
        bool down;
    }

    /// @notice The jump cool-downs of a collection (one storage slot). A source's cool-down runs from the time its
    /// jumped level was first in force (floor: the `updatedAt` of the first jumped round; TWAP: the write that jumped
    /// it), whatever outage came before; it restarts when the source moves beyond `deviationBps` from the level the
    /// cool-down started at, and ends when the source comes back within the deviation of its reference (0 then).
    /// `checkpoint` re-anchors once every jumped source's cool-down has lasted `JUMP_COOLDOWN`.
    /// @param floorAt Start of the floor's cool-down (0: the floor has not jumped). Recorded at checkpoints; the view
    /// `jumpState` replays the rounds published since.
    /// @param floorLevel The normalised floor at `floorAt`.
    /// @param twapAt Start of the TWAP's cool-down (meaningful while the head's `jumped` flag is set).
    /// @param twapLevel The TWAP at `twapAt`.
    struct JumpState {
        uint32 floorAt;
        uint88 floorLevel;
        uint32 twapAt;
        uint88 twapLevel;
    }

    /// @notice A sale report, signed by a reporter key with EIP-712 and relayed by anyone.
    /// @dev Type string: `SaleReport(address collection,uint256 price,uint256 timestamp,uint256 listingEpoch,
    /// uint256 deadline)`. No report is valid twice: within one listing, each collection's observation timestamps
    /// strictly increase; across a delist and relist, `listingEpoch` (incremented by every `listCollection`) no longer
    /// matches, so old reports from public calldata cannot rebuild a new listing's baseline; and a report is void after
    /// `deadline`. The domain binds chain id and contract.
    struct SaleReport {
        address collection;
        uint256 price;
        uint256 timestamp;
        uint256 listingEpoch;
        uint256 deadline;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice `collection` is not listed here (never listed, or delisted): raised by sale reports, `priceView` and
    /// the per-collection setters.
    error CollectionNotListed(address collection);
    /// @notice `collection` is already listed (delist first: re-listing resets its history).
    error CollectionAlreadyListed(address collection);
    /// @notice `caller` is not an authorised reporter.
    error NotReporter(address caller);
    /// @notice A relayed report's signature does not recover to an authorised reporter (`recovered` may be zero).
    error InvalidReportSignature(address recovered);
    /// @notice A relayed report past its `deadline`.
    error ReportExpired(address collection, uint256 deadline, uint256 blockTimestamp);
    /// @notice A relayed report signed for another listing of `collection` (before a delist and relist).
    error WrongListingEpoch(address collection, uint256 listingEpoch, uint256 currentEpoch);
    /// @notice A sale price of zero.
    error ZeroPrice(address collection);
    /// @notice A reported sale `price` above the collection's configured `maxPrice` (the absurd-price guard).
    error SalePriceAboveMax(address collection, uint256 price, uint256 maxPrice);
    /// @notice A sale timestamp later than the current block.
    error ObservationInFuture(address collection, uint256 timestamp, uint256 blockTimestamp);
    /// @notice A sale timestamp not strictly after the newest kept sale.
    error ObservationOutOfOrder(address collection, uint256 timestamp, uint256 newestTimestamp);
    /// @notice A second observation for `collection` in the same block.
    error ObservationSameBlock(address collection, uint256 blockNumber);
    /// @notice A sale less than the minimum spacing after the newest kept sale (`earliest` is the first accepted time).
    error ObservationTooSoon(address collection, uint256 timestamp, uint256 earliest);
    /// @notice `initialize` with pool-asset decimals above `maxDecimals`.
    error AssetDecimalsTooHigh(uint256 decimals, uint256 maxDecimals);
    /// @notice `listCollection`/`setFeed` with a floor `feed` that has no code.
    error FeedNotContract(address collection, address feed);
    /// @notice `listCollection`/`setFeed` with a heartbeat of zero or above `maxHeartbeat` seconds.
    error HeartbeatOutOfRange(address collection, uint256 heartbeat, uint256 maxHeartbeat);
    /// @notice `listCollection`/`setFeed` with answer bounds that no answer could pass: the effective (packed) bounds
    /// `minAnswer` and `maxAnswer` are less than 2 apart.
    error FeedBoundsTooClose(address collection, uint256 minAnswer, uint256 maxAnswer);
    /// @notice `listCollection`/`setFeed` with a feed answering in more than `maxDecimals` decimals.
    error FeedDecimalsTooHigh(address collection, uint256 decimals, uint256 maxDecimals);
    /// @notice `listCollection`/`setFeed` with an effective `maxAnswer` that, in pool-asset units (`normalised`), does
    /// not fit the 88-bit price fields.
    error FeedMaxAnswerTooHigh(address collection, uint256 maxAnswer, uint256 normalised);
    /// @notice `listCollection`/`setTwapParams` with a zero `maxPrice` (no sale could pass).
    error TwapMaxPriceZero(address collection);
    /// @notice `listCollection`/`setTwapParams` with `clampBps` zero or above `maxClampBps`.
    error TwapClampOutOfRange(address collection, uint256 clampBps, uint256 maxClampBps);
    /// @notice `listCollection`/`setTwapParams` with `minSales` outside [`lower`, `upper`] (the ring's capacity).
    error TwapMinSalesOutOfRange(address collection, uint256 minSales, uint256 lower, uint256 upper);
    /// @notice `listCollection`/`setTwapParams` with `minWindow` seconds outside [`lower`, `upper`].
    error TwapWindowOutOfRange(address collection, uint256 minWindow, uint256 lower, uint256 upper);
    /// @notice `listCollection`/`setTwapParams` with `halfLife` seconds outside [`lower`, `upper`].
    error TwapHalfLifeOutOfRange(address collection, uint256 halfLife, uint256 lower, uint256 upper);
    /// @notice `listCollection`/`setTwapParams` with `anchorPeriod` seconds outside [`lower`, `upper`]; `lower` is the
    /// window (an anchor shorter than it would follow a burst that fills the window).
    error TwapAnchorPeriodOutOfRange(address collection, uint256 anchorPeriod, uint256 lower, uint256 upper);
    /// @notice `listCollection`/`setRiskParams` with `twapMaxAge` seconds outside [`lower`, `upper`]; `lower` is the
    /// TWAP window.
    error TwapMaxAgeOutOfRange(address collection, uint256 twapMaxAge, uint256 lower, uint256 upper);
    /// @notice `listCollection`/`setRiskParams` with `deviationBps` outside [`lower`, `upper`].
    error DeviationOutOfRange(address collection, uint256 deviationBps, uint256 lower, uint256 upper);
    /// @notice `traitPremium` was called while no trait pricer is configured.
    error TraitPricerNotSet();
    /// @notice Thrown by `unfreeze` when `collection` is not frozen.
    error CollectionNotFrozen(address collection);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A sale was recorded; `recorded` is `reported` after clamping, `twap` the new weighted average.
    event SaleObserved(
        address indexed collection,
        address indexed reporter,
        uint256 reported,
        uint256 recorded,
        uint256 timestamp,
        uint256 twap
    );
    /// @notice The clamp anchor moved to `anchor`; `pending` (captured now) becomes the anchor one period later.
    event ClampAnchorMoved(address indexed collection, uint256 anchor, uint256 pending);
    /// @notice The outage clock was recorded: the outage running now started at `since` (0: none), and `cumulative`
    /// seconds of outages have ended.
    event OutageCheckpointed(address indexed collection, uint256 since, uint256 cumulative);
    /// @notice After a jump and the cool-down, the jump references were moved to the current sources.
    event Reanchored(address indexed collection, uint256 twap, uint256 floor);
    event CollectionListed(address indexed collection, address feed, uint256 maxPrice);
    event CollectionDelisted(address indexed collection);
    /// @notice `minAnswer` and `maxAnswer` are the effective (packed) bounds.
    event FeedSet(address indexed collection, address feed, uint256 heartbeat, uint256 minAnswer, uint256 maxAnswer);
    event TwapParamsSet(address indexed collection, TwapParams params);
    event RiskParamsSet(address indexed collection, uint256 twapMaxAge, uint256 deviationBps);
    event ReporterSet(address indexed reporter, bool authorised);
    event CollectionFrozen(address indexed collection, uint256 frozenAt);
    event CollectionUnfrozen(address indexed collection);
    event TraitPricerSet(address indexed pricer);

    /*//////////////////////////////////////////////////////////////
                                 WRITES
    //////////////////////////////////////////////////////////////*/

    /// @notice Records a marketplace sale of one unit of `collection` at `price` (pool-asset units) at `timestamp`.
    /// Authorised reporters only. Reverts on an unlisted collection, a zero or above-maximum price, a timestamp in
    /// the future, not after the newest sale, or less than the minimum spacing after it, and a second observation in
    /// the same block. Once `minSales` sales exist, the price is clamped (not rejected) to +-`clampBps` around the
    /// clamp anchor (a TWAP at least one `anchorPeriod` old).
    /// @dev Gas: one observation slot (two when the oldest kept sale sits in the next one), the weight accumulator
    /// updated in O(1); the outage clock is checkpointed (with a feed call) only when the TWAP's own status changes.
    function reportSale(address collection, uint256 price, uint256 timestamp) external;

    /// @notice Same as `reportSale`, by anyone, for a report signed by an authorised reporter key, for the
    /// collection's current `listingEpoch` and not past its `deadline`.
    function relaySale(SaleReport calldata report, bytes calldata signature) external;

    /// @notice Records the outage clock of `collection` now (what `outage` reports), and once every jumped source has
    /// been jumped for `JUMP_COOLDOWN` seconds (from its jumped level's first appearance, see `JumpState`; an outage
    /// before the jump does not count) moves the jump references to the current sources. Permissionless.
    /// Never needed for correctness within the look-back bound (see `outage`); keepers call it to bound that work.
    function checkpoint(address collection) external;

    /*//////////////////////////////////////////////////////////////
                            ADMIN (TIMELOCK)
    //////////////////////////////////////////////////////////////*/

    /// @notice Lists `collection` with its floor feed and maximum sale price; every other parameter takes its default.
    /// A collection listed before keeps its outage clock (the time it was delisted counts as an outage).
    function listCollection(
        address collection,
        address feed,
        uint24 heartbeat,
        uint96 minAnswer,
        uint96 maxAnswer,
        uint88 maxPrice
    ) external;

    /// @notice Removes `collection` and its whole history except its outage clock (a later re-listing starts from an
    /// empty buffer; running auctions keep counting the time without a price as an outage).
    function delistCollection(address collection) external;

    /// @notice Replaces the floor feed of `collection` and clears the floor jump reference. Reads `feed.decimals()`.
    function setFeed(address collection, address feed, uint24 heartbeat, uint96 minAnswer, uint96 maxAnswer) external;

    /// @notice Replaces the TWAP parameters of `collection`. They apply from the next observation.
    function setTwapParams(address collection, TwapParams calldata params) external;

    /// @notice Sets the TWAP maximum age and the jump deviation of `collection`.
    function setRiskParams(address collection, uint24 twapMaxAge, uint16 deviationBps) external;

    /// @notice Authorises or de-authorises a reporter.
    function setReporter(address reporter, bool authorised) external;

    /// @notice Sets the trait pricer that `traitPremium` forwards to (zero disables trait premiums).
    function setTraitPricer(address pricer) external;

    /// @notice Lifts a guardian freeze.
    function unfreeze(address collection) external;

    /*//////////////////////////////////////////////////////////////
                          GUARDIAN (TIGHTEN ONLY)
    //////////////////////////////////////////////////////////////*/

    /// @notice Freezes `collection`: `price` reverts with status `Frozen` and an outage runs from now until the
    /// timelock unfreezes. Guardian or timelock. Freezing a frozen collection changes nothing.
    function freeze(address collection) external;

    /// @notice De-authorises a reporter. Guardian or timelock.
    function revokeReporter(address reporter) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The trait pricer `traitPremium` forwards to.
    function traitPricer() external view returns (address);

    /// @notice Whether `account` is an authorised reporter.
    function isReporter(address account) external view returns (bool);

    /// @notice The configuration of `collection` (feed with its effective bounds, TWAP parameters, TWAP max age).
    function collectionConfig(address collection)
        external
        view
        returns (FeedConfig memory feed, TwapParams memory params, uint256 twapMaxAge);

    /// @notice The TWAP state of `collection`.
    function twapState(address collection)
        external
        view
        returns (Head memory head, TwapState memory state, ClampAnchor memory anchor, Accumulator memory acc);

    /// @notice The outage clock of `collection` as recorded at its last checkpoint (`outage` derives the present).
    function outageClock(address collection) external view returns (OutageClock memory clock, SequencerClock memory seq);

    /// @notice The jump cool-downs of `collection` now (the floor's replayed from the feed's rounds, as a checkpoint
    /// now would record them) and the earliest time a `checkpoint` re-anchors (0: no source has jumped).
    function jumpState(address collection) external view returns (JumpState memory state, uint256 reanchorAt);

    /// @notice The kept observations of `collection`, oldest first.
    function observations(address collection) external view returns (uint256[] memory prices, uint256[] memory times);

    /// @notice Seconds since the newest kept sale of `collection` (type(uint256).max when there is none).
    function newestObservationAge(address collection) external view returns (uint256);

    /// @notice Minimum seconds between two kept sales of `collection`: ceil(minWindow / 15).
    function minSpacing(address collection) external view returns (uint256);

    /// @notice The listing epoch of `collection`: 0 before its first listing, incremented by every `listCollection`.
    /// Relayed reports must carry it.
    function listingEpoch(address collection) external view returns (uint256);

    /// @notice EIP-712 digest of `report` under this contract's domain.
    function hashSaleReport(SaleReport calldata report) external view returns (bytes32);
}
