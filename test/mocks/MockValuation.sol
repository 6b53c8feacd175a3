// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";

/// @notice Valuation double for pool and auction tests: a settable price and status per collection, trait premiums
/// accepted when the proof's first element equals a settable "valid" marker (capped at 2x the price like the real
/// pricer), and an outage clock kept the way `IValuation.outage` describes it: `since` while the status is not Ok, and
/// the lengths of ended outages summed in `cumulative`.
contract MockValuation is IValuation {
    /// @dev One slot per collection, as a real oracle would keep it: the price path and the outage clock read it once.
    struct Feed {
        Status status;
        uint64 since; // start of the running outage, 0 when none
        uint64 cumulative; // seconds of ended outages
    }

    mapping(address => uint256) public prices;
    mapping(address => Feed) internal feeds;
    bytes32 public constant VALID_PROOF = keccak256("valid proof");

    error BadProof();

    /// @dev Decimals of the asset the prices are in (18 unless set): a pool checks them at initialisation.
    uint8 public assetDecimals = 18;
    /// @dev Jump-detection deviation per collection (0, an unlisted collection's, unless set).
    mapping(address => uint256) public deviationBps;

    function setAssetDecimals(uint8 decimals) external {
        assetDecimals = decimals;
    }

    function setDeviationBps(address collection, uint256 bps) external {
        deviationBps[collection] = bps;
    }

    function setPrice(address collection, uint256 unitPrice) external {
        prices[collection] = unitPrice;
    }

    /// @dev An outage starts when the status leaves Ok and ends (adding its length to the cumulative count) when it
    /// returns to Ok; a change between two failing statuses keeps the outage running.
    function setStatus(address collection, Status status) public {
        Feed storage f = feeds[collection];
        f.status = status;
        if (status != Status.Ok && f.since == 0) {
            f.since = uint64(block.timestamp);
        } else if (status == Status.Ok && f.since != 0) {
            f.cumulative += uint64(block.timestamp) - f.since;
            f.since = 0;
        }
    }

    /// @dev A stale floor feed: `price` reverts and the outage clock runs.
    function beginOutage(address collection) external {
        setStatus(collection, Status.FloorStale);
    }

    function endOutage(address collection) external {
        setStatus(collection, Status.Ok);
    }

    /// @dev Test hook: sets the outage clock to any state, consistent or not (the status is left as it is).
    function setClock(address collection, uint64 since, uint64 cumulative) external {
        feeds[collection].since = since;
        feeds[collection].cumulative = cumulative;
    }

    function price(address collection) external view returns (uint256) {
        Status status = feeds[collection].status;
        if (status != Status.Ok) revert ValuationUnavailable(collection, status);
        uint256 p = prices[collection];
        if (p == 0) revert ValuationUnavailable(collection, Status.UnknownCollection);
        return p;
    }

    function priceView(address collection) external view returns (uint256, Status) {
        return (prices[collection], feeds[collection].status);
    }

    function traitPremium(
        address,
        uint256,
        uint256 premium,
        bytes32[] calldata proof,
        uint256 unitPrice
    ) external pure returns (uint256) {
        if (proof.length == 0 || proof[0] != VALID_PROOF) revert BadProof();
        return premium > 2 * unitPrice ? 2 * unitPrice : premium;
    }

    function outage(address collection) external view returns (uint64 since, uint64 cumulative) {
        Feed memory f = feeds[collection];
        return (f.since, f.cumulative);
    }
}
