// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";

/// @notice Valuation double for pool tests: a settable price and status per collection, and trait premiums accepted
/// when the proof's first element equals a settable "valid" marker, capped at 2x the price like the real pricer.
contract MockValuation is IValuation {
    mapping(address => uint256) public prices;
    mapping(address => Status) public statuses;
    mapping(address => uint64) public outageSince;
    bytes32 public constant VALID_PROOF = keccak256("valid proof");

    error BadProof();

    function setPrice(address collection, uint256 unitPrice) external {
        prices[collection] = unitPrice;
    }

    function setStatus(address collection, Status status) external {
        statuses[collection] = status;
        outageSince[collection] = status == Status.Ok ? 0 : uint64(block.timestamp);
    }

    function price(address collection) external view returns (uint256) {
        Status status = statuses[collection];
        if (status != Status.Ok) revert ValuationUnavailable(collection, status);
        if (prices[collection] == 0) revert ValuationUnavailable(collection, Status.UnknownCollection);
        return prices[collection];
    }

    function priceView(address collection) external view returns (uint256, Status) {
        return (prices[collection], statuses[collection]);
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
        return (outageSince[collection], 0);
    }
}
