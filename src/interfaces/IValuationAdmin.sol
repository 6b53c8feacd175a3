// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IValuation} from "./IValuation.sol";

/// @title IValuationAdmin
/// @notice Everything the Valuation contract exposes beyond the pool-facing `IValuation`: the sales TWAP writers
/// (authorised reporters and relayed EIP-712 reports), outage checkpoints, timelock-only configuration and the
/// guardian's tighten-only powers.
/// @dev Value = min(TWAP, floor) x haircut. This contract returns min(TWAP, floor); the pool completes the product with
/// the haircut it snapshotted into the loan, through `ValuationMath.applyHaircutDown` (rounded down).
///
/// Storage per collection (the read path touches exactly the first three slots, plus the feed):
/// - `FeedConfig` (1 slot): feed address, heartbeat, TWAP max age, decimal shift, listed flag, jump deviation.
/// - `FeedBounds` (1 slot): min/max accepted feed answers, guardian freeze time.
/// - `Head` (1 slot): the time-decay weighted TWAP (computed at write time), the floor recorded at the last valuation,
///   the newest sale time, the open outage start and status flags.
/// - `Cursor`, `TwapParams` (1 slot each) and 8 slots of observations, read only by writes.
interface IValuationAdmin is IValuation {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Floor-feed configuration, read on every valuation (one storage slot).
    /// @param feed AggregatorV3Interface answering in the pool asset (any decimals).
    /// @param heartbeat Maximum age of the feed's `updatedAt`, in seconds.
    /// @param twapMaxAge Maximum age of the newest sale, in seconds.
    /// @param decimalsShift Pool-asset decimals minus feed decimals, used to normalise the answer.
    /// @param listed Whether the collection is priced at all.
    /// @param deviationBps Largest move of either source since the last recorded valuation before it counts as a jump.
    struct FeedConfig {
        address feed;
        uint24 heartbeat;
        uint24 twapMaxAge;
        int8 decimalsShift;
        bool listed;
        uint16 deviationBps;
    }

    /// @notice Feed answer bounds, in the feed's own units, and the guardian freeze (one storage slot).
    /// @dev An answer is accepted only when `minAnswer < answer < maxAnswer` (both bounds are circuit-breaker values).
    struct FeedBounds {
        uint96 minAnswer;
        uint96 maxAnswer;
        uint40 frozenAt;
    }

    /// @notice The hot per-collection word (one storage slot), rewritten only when something in it changes.
    /// @param twap Time-decay weighted average of the kept sales, in pool-asset units, computed at the last write.
    /// @param lastFloor Normalised floor recorded at the last valuation: the reference for floor jump detection.
    /// @param newestTime Timestamp of the newest kept sale (uint32: valid until 2106).
    /// @param outageSince Start of the outage recorded by the last touch, or 0.
    /// @param flags Bit 0: TWAP ready; bit 1: TWAP jumped; bit 2: `twap` already recorded as the TWAP reference.
    struct Head {
        uint88 twap;
        uint88 lastFloor;
        uint32 newestTime;
        uint32 outageSince;
        uint8 flags;
    }

    /// @notice Write-side bookkeeping (one storage slot).
    /// @param lastValuedTwap TWAP recorded at the last valuation: the reference for TWAP jump detection.
    /// @param lastWriteBlock Block of the newest observation (one observation per block per collection).
    /// @param index Ring position the next observation overwrites.
    /// @param count Number of kept observations (at most the buffer capacity).
    /// @param cumulativeOutage Total seconds of ended outages recorded so far.
    struct Cursor {
        uint88 lastValuedTwap;
        uint64 lastWriteBlock;
        uint8 index;
        uint8 count;
        uint64 cumulativeOutage;
    }

    /// @notice TWAP parameters, read only by writes (one storage slot).
    /// @param maxPrice Largest sale price accepted at all (absurd-price guard), pool-asset units.
    /// @param clampBps Each sale is clamped to +-clampBps of the current average once `minSales` sales exist.
    /// @param minSales Sales needed before the TWAP reports.
    /// @param minWindow Seconds between the oldest and newest kept sale needed before the TWAP reports.
    /// @param halfLife Half-life, in seconds, of a sale's weight measured back from the newest sale.
    struct TwapParams {
        uint88 maxPrice;
        uint16 clampBps;
        uint8 minSales;
        uint24 minWindow;
        uint24 halfLife;
    }

    /// @notice A sale report, signed by a reporter key with EIP-712 and relayed by anyone.
    /// @dev Type string: `SaleReport(address collection,uint256 price,uint256 timestamp)`. Replay is impossible
    /// because each collection's observation timestamps strictly increase; the domain binds chain id and contract.
    struct SaleReport {
        address collection;
        uint256 price;
        uint256 timestamp;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice `collection` is not listed.
    error CollectionNotListed(address collection);
    /// @notice `collection` is already listed (delist first: re-listing resets its history).
    error CollectionAlreadyListed(address collection);
    /// @notice `caller` is not an authorised reporter.
    error NotReporter(address caller);
    /// @notice A relayed report's signature does not recover to an authorised reporter (`recovered` may be zero).
    error InvalidReportSignature(address recovered);
    /// @notice A sale price of zero.
    error ZeroPrice(address collection);
    /// @notice A sale price above the collection's configured maximum.
    error PriceAboveMax(address collection, uint256 price, uint256 maxPrice);
    /// @notice A sale timestamp later than the current block.
    error ObservationInFuture(address collection, uint256 timestamp, uint256 blockTimestamp);
    /// @notice A sale timestamp not strictly after the newest kept sale.
    error ObservationOutOfOrder(address collection, uint256 timestamp, uint256 newestTimestamp);
    /// @notice A second observation for `collection` in the same block.
    error ObservationSameBlock(address collection, uint256 blockNumber);
    /// @notice A feed configuration outside its bounds (`reason` names the field).
    error InvalidFeedConfig(address collection, bytes32 reason);
    /// @notice TWAP or risk parameters outside their bounds (`reason` names the field).
    error InvalidTwapParams(address collection, bytes32 reason);
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
    /// @notice An outage of `collection` was recorded as starting at `since` for `status`.
    event OutageStarted(address indexed collection, uint256 since, Status status);
    /// @notice The recorded outage of `collection` ended; `duration` seconds were added to the cumulative total.
    event OutageEnded(address indexed collection, uint256 duration, uint256 cumulative);
    /// @notice After a jump and the cool-down, the references were moved to the current sources.
    event Reanchored(address indexed collection, uint256 twap, uint256 floor);
    event CollectionListed(address indexed collection, address feed, uint256 maxPrice);
    event CollectionDelisted(address indexed collection);
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
    /// the future or not after the newest sale, and a second observation in the same block. Once `minSales` sales
    /// exist, the price is clamped (not rejected) to +-`clampBps` of the current average.
    /// @dev Gas: reads the ceil(count / 2) observation slots (8 when full) to recompute the weighted average, then
    /// checkpoints the outage state, which calls the floor feed.
    function reportSale(address collection, uint256 price, uint256 timestamp) external;

    /// @notice Same as `reportSale`, by anyone, for a report signed by an authorised reporter key.
    function relaySale(SaleReport calldata report, bytes calldata signature) external;

    /// @notice Records the outage state of `collection` now: starts a recorded outage, ends one (adding its length to
    /// the cumulative total), and after a jump plus `JUMP_COOLDOWN` seconds of recorded outage moves the jump
    /// references to the current sources. Permissionless: keepers call it so `outage` stays precise.
    function checkpoint(address collection) external;

    /*//////////////////////////////////////////////////////////////
                            ADMIN (TIMELOCK)
    //////////////////////////////////////////////////////////////*/

    /// @notice Lists `collection` with its floor feed and maximum sale price; every other parameter takes its default.
    function listCollection(
        address collection,
        address feed,
        uint24 heartbeat,
        uint96 minAnswer,
        uint96 maxAnswer,
        uint88 maxPrice
    ) external;

    /// @notice Removes `collection` and its whole history (a later re-listing starts from an empty buffer).
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

    /// @notice Freezes `collection`: `price` reverts (status `UnknownCollection`) and an outage runs from now until
    /// the timelock unfreezes. Guardian or timelock.
    function freeze(address collection) external;

    /// @notice De-authorises a reporter. Guardian or timelock.
    function revokeReporter(address reporter) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Decimals of the pool asset every price is expressed in.
    function assetDecimals() external view returns (uint8);

    /// @notice The trait pricer `traitPremium` forwards to.
    function traitPricer() external view returns (address);

    /// @notice Whether `account` is an authorised reporter.
    function isReporter(address account) external view returns (bool);

    /// @notice The full configuration of `collection`.
    function collectionConfig(address collection)
        external
        view
        returns (FeedConfig memory feed, FeedBounds memory bounds, TwapParams memory params);

    /// @notice The TWAP head and cursor of `collection`.
    function twapState(address collection) external view returns (Head memory head, Cursor memory cursor);

    /// @notice The kept observations of `collection`, oldest first.
    function observations(address collection) external view returns (uint256[] memory prices, uint256[] memory times);

    /// @notice Seconds since the newest kept sale of `collection` (type(uint256).max when there is none).
    function newestObservationAge(address collection) external view returns (uint256);

    /// @notice EIP-712 digest of `report` under this contract's domain.
    function hashSaleReport(SaleReport calldata report) external view returns (bytes32);
}
