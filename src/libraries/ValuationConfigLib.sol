// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IValuationAdmin} from "../interfaces/IValuationAdmin.sol";
import {ValuationMath} from "./ValuationMath.sol";

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
    uint16 internal constant MAX_CLAMP_BPS = 5000;
    uint256 internal constant CAPACITY = 16;

    /// @notice Validates a feed configuration and returns it with `listed` set and the decimal shift computed.
    function checkedFeed(
        address collection,
        address feed,
        uint24 heartbeat,
        uint96 minAnswer,
        uint96 maxAnswer,
        uint8 assetDecimals
    ) public view returns (IValuationAdmin.FeedConfig memory cfg) {
        if (feed.code.length == 0) revert IValuationAdmin.InvalidFeedConfig(collection, "feed");
        if (heartbeat == 0 || heartbeat > MAX_HEARTBEAT) {
            revert IValuationAdmin.InvalidFeedConfig(collection, "heartbeat");
        }
        if (minAnswer >= maxAnswer) revert IValuationAdmin.InvalidFeedConfig(collection, "bounds");
        uint8 feedDecimals = AggregatorV3Interface(feed).decimals();
        if (feedDecimals > MAX_DECIMALS) revert IValuationAdmin.InvalidFeedConfig(collection, "decimals");
        // Safe cast: both decimals are <= 36, so the difference fits an int8.
        int8 shift = int8(int256(uint256(assetDecimals)) - int256(uint256(feedDecimals)));
        // Every accepted answer must fit the packed uint88 price fields once normalised.
        if (ValuationMath.normaliseDown(maxAnswer, shift) > type(uint88).max) {
            revert IValuationAdmin.InvalidFeedConfig(collection, "maxAnswer");
        }
        cfg = IValuationAdmin.FeedConfig({
            feed: feed, heartbeat: heartbeat, twapMaxAge: 0, decimalsShift: shift, listed: true, deviationBps: 0
        });
    }

    /// @notice Reverts with `InvalidTwapParams(collection, field)` unless every TWAP parameter is within bounds.
    function checkTwapParams(address collection, IValuationAdmin.TwapParams memory p) public pure {
        if (p.maxPrice == 0) revert IValuationAdmin.InvalidTwapParams(collection, "maxPrice");
        if (p.clampBps == 0 || p.clampBps > MAX_CLAMP_BPS) {
            revert IValuationAdmin.InvalidTwapParams(collection, "clampBps");
        }
        if (p.minSales < 2 || p.minSales > CAPACITY) revert IValuationAdmin.InvalidTwapParams(collection, "minSales");
        if (p.minWindow < MIN_WINDOW_LOWER || p.minWindow > MAX_WINDOW) {
            revert IValuationAdmin.InvalidTwapParams(collection, "minWindow");
        }
        if (p.halfLife < MIN_HALF_LIFE || p.halfLife > MAX_HALF_LIFE) {
            revert IValuationAdmin.InvalidTwapParams(collection, "halfLife");
        }
    }
}
