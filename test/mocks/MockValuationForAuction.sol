// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";

/// @notice A settable valuation with an outage clock kept the way `IValuation.outage` describes it: `since` while an
/// outage runs, and the lengths of ended outages summed in `cumulative`.
contract MockValuationForAuction is IValuation {
    struct Clock {
        uint64 since;
        uint64 cumulative;
    }

    mapping(address collection => uint256) public unitPrice;
    mapping(address collection => Clock) internal _clock;

    function setPrice(address collection, uint256 price_) external {
        unitPrice[collection] = price_;
    }

    function beginOutage(address collection) external {
        Clock storage c = _clock[collection];
        if (c.since == 0) c.since = uint64(block.timestamp);
    }

    function endOutage(address collection) external {
        Clock storage c = _clock[collection];
        if (c.since == 0) return;
        c.cumulative += uint64(block.timestamp) - c.since;
        c.since = 0;
    }

    /// @dev Test hook: sets the clock to any state, consistent or not.
    function setClock(address collection, uint64 since, uint64 cumulative) external {
        _clock[collection] = Clock(since, cumulative);
    }

    function price(address collection) external view returns (uint256) {
        if (_clock[collection].since != 0) revert ValuationUnavailable(collection, Status.FloorStale);
        uint256 p = unitPrice[collection];
        if (p == 0) revert ValuationUnavailable(collection, Status.UnknownCollection);
        return p;
    }

    function priceView(address collection) external view returns (uint256, Status) {
        if (_clock[collection].since != 0) return (unitPrice[collection], Status.FloorStale);
        return (unitPrice[collection], Status.Ok);
    }

    function traitPremium(address, uint256, uint256, bytes32[] calldata, uint256) external pure returns (uint256) {
        return 0;
    }

    function outage(address collection) external view returns (uint64 since, uint64 cumulative) {
        Clock memory c = _clock[collection];
        return (c.since, c.cumulative);
    }
}
