// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IValuationAdmin} from "../interfaces/IValuationAdmin.sol";
import {PoolMath} from "../libraries/PoolMath.sol";
import {ValuationMath} from "./ValuationMath.sol";
import {ValuationStorage} from "./ValuationStorage.sol";

/// @title ValuationConfigLib
/// @notice Validation of Valuation's timelock-set parameters. Its functions are `public` (a linked library, called
/// only by admin setters) to keep Valuation under the 24,576-byte code size limit.
library ValuationConfigLib {
    uint24 internal constant MAX_HEARTBEAT = 7 days;
    uint8 internal constant MAX_DECIMALS = 36;
    uint24 internal constant MIN_WINDOW_LOWER = 10 minutes;
    uint24 internal constant MAX_WINDOW = 7 days;
    uint24 internal constant MIN_HALF_LIFE = 10 minutes;
    uint24 internal constant MAX_HALF_LIFE = 30 days;
    uint24 internal constant MAX_ANCHOR_PERIOD = 7 days;
    uint16 internal constant MAX_CLAMP_BPS = 5000;
    uint24 internal constant MAX_TWAP_MAX_AGE = 30 days;
    uint16 internal constant MIN_DEVIATION_BPS = 100;
    uint16 internal constant MAX_DEVIATION_BPS = 5000;
    uint256 internal constant CAPACITY = 16;

    /// @notice Validates a feed configuration and returns the feed word and the packed maximum answer.
    /// @dev The bounds are packed to 32 significant bits, the lower one rounded up and the upper one rounded down, so
    /// the effective check `minAnswer' < answer < maxAnswer'` is never looser than the configured one.
    /// @return feedWord The feed word with `flags`, `deviationBps` and the packed lower bound.
    /// @return maxPacked The packed upper bound (stored in the head word).
    /// @return minEffective The effective lower bound.
    /// @return maxEffective The effective upper bound.
    function feedWord(
        address collection,
        address feed,
        uint24 heartbeat,
        uint96 minAnswer,
        uint96 maxAnswer,
        uint256 deviationBps,
        uint256 flags,
        uint8 assetDecimals
    ) public view returns (uint256, uint256 maxPacked, uint256 minEffective, uint256 maxEffective) {
        if (feed.code.length == 0) revert IValuationAdmin.FeedNotContract(collection, feed);
        if (heartbeat == 0 || heartbeat > MAX_HEARTBEAT) {
            revert IValuationAdmin.HeartbeatOutOfRange(collection, heartbeat, MAX_HEARTBEAT);
        }
        uint256 minPacked = ValuationMath.packBoundUp(minAnswer);
        maxPacked = ValuationMath.packBoundDown(maxAnswer);
        minEffective = ValuationMath.unpackBound(minPacked);
        maxEffective = ValuationMath.unpackBound(maxPacked);
        // No answer could pass bounds closer than 2 apart.
        if (minEffective + 1 >= maxEffective) {
            revert IValuationAdmin.FeedBoundsTooClose(collection, minEffective, maxEffective);
        }
        uint8 feedDecimals = AggregatorV3Interface(feed).decimals();
        if (feedDecimals > MAX_DECIMALS) {
            revert IValuationAdmin.FeedDecimalsTooHigh(collection, feedDecimals, MAX_DECIMALS);
        }
        // Safe cast: both decimals are <= 36, so the difference fits an int8.
        int256 shift = int256(uint256(assetDecimals)) - int256(uint256(feedDecimals));
        // Every accepted answer must fit the packed uint88 price fields once normalised.
        uint256 maxNormalised = ValuationMath.normaliseDown(maxEffective, shift);
        if (maxNormalised > type(uint88).max) {
            revert IValuationAdmin.FeedMaxAnswerTooHigh(collection, maxEffective, maxNormalised);
        }
        return (
            ValuationStorage.encodeFeed(feed, heartbeat, shift, deviationBps, flags, minPacked),
            maxPacked,
            minEffective,
            maxEffective
        );
    }

    /// @notice Reverts unless every TWAP parameter is within its bounds, with the error that names the field.
    function checkTwapParams(address collection, IValuationAdmin.TwapParams memory p) public pure {
        if (p.maxPrice == 0) revert IValuationAdmin.TwapMaxPriceZero(collection);
        if (p.clampBps == 0 || p.clampBps > MAX_CLAMP_BPS) {
            revert IValuationAdmin.TwapClampOutOfRange(collection, p.clampBps, MAX_CLAMP_BPS);
        }
        if (p.minSales < 2 || p.minSales > CAPACITY) {
            revert IValuationAdmin.TwapMinSalesOutOfRange(collection, p.minSales, 2, CAPACITY);
        }
        if (p.minWindow < MIN_WINDOW_LOWER || p.minWindow > MAX_WINDOW) {
            revert IValuationAdmin.TwapWindowOutOfRange(collection, p.minWindow, MIN_WINDOW_LOWER, MAX_WINDOW);
        }
        if (p.halfLife < MIN_HALF_LIFE || p.halfLife > MAX_HALF_LIFE) {
            revert IValuationAdmin.TwapHalfLifeOutOfRange(collection, p.halfLife, MIN_HALF_LIFE, MAX_HALF_LIFE);
        }
        // An anchor period shorter than the window would let the anchor follow a burst that fills it.
        if (p.anchorPeriod < p.minWindow || p.anchorPeriod > MAX_ANCHOR_PERIOD) {
            revert IValuationAdmin.TwapAnchorPeriodOutOfRange(
                collection, p.anchorPeriod, p.minWindow, MAX_ANCHOR_PERIOD
            );
        }
    }

    /// @notice Reverts unless the risk parameters are within their bounds, with the error that names the field.
    function checkRiskParams(address collection, uint24 twapMaxAge, uint16 deviationBps, uint24 minWindow) public pure {
        if (twapMaxAge < minWindow || twapMaxAge > MAX_TWAP_MAX_AGE) {
            revert IValuationAdmin.TwapMaxAgeOutOfRange(collection, twapMaxAge, minWindow, MAX_TWAP_MAX_AGE);
        }
        if (deviationBps < MIN_DEVIATION_BPS || deviationBps > MAX_DEVIATION_BPS) {
            revert IValuationAdmin.DeviationOutOfRange(collection, deviationBps, MIN_DEVIATION_BPS, MAX_DEVIATION_BPS);
        }
    }
}
