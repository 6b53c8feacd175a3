// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {ERC1155} from "solady/tokens/ERC1155.sol";
import {ERC721} from "solady/tokens/ERC721.sol";

/// @notice Stand-ins for a local chain only: collections anyone can mint from, and a floor feed that one updater key
/// moves. Never deployed by the system script when real addresses are configured (see DeploySystem).

/// @notice An ERC-721 collection with an open mint (local chain only).
contract DemoApes is ERC721 {
    function name() public pure override returns (string memory) {
        return "Demo Apes";
    }

    function symbol() public pure override returns (string memory) {
        return "DAPE";
    }

    function tokenURI(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }
}

/// @notice An ERC-1155 collection with an open mint (local chain only).
contract DemoItems is ERC1155 {
    function uri(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}

/// @notice A Chainlink-style floor feed whose answer one updater key pushes (the local stand-in for a real feed).
contract LocalFloorFeed is AggregatorV3Interface {
    error NotUpdater(address caller);
    error NonPositiveAnswer(int256 answer);
    error NoDataPresent(uint80 roundId);

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    address public immutable UPDATER;
    uint8 public immutable DECIMALS;
    string public description;

    struct Round {
        int256 answer;
        uint256 updatedAt;
    }

    uint80 internal _roundId;
    mapping(uint80 roundId => Round) internal _rounds;

    constructor(address updater, uint8 decimals_, string memory description_, int256 initialAnswer) {
        UPDATER = updater;
        DECIMALS = decimals_;
        description = description_;
        _push(initialAnswer);
    }

    /// @notice Publishes a new round with `answer` as of now. Updater only.
    function update(int256 answer) external {
        if (msg.sender != UPDATER) revert NotUpdater(msg.sender);
        _push(answer);
    }

    function decimals() external view returns (uint8) {
        return DECIMALS;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[_roundId];
        return (_roundId, r.answer, r.updatedAt, r.updatedAt, _roundId);
    }

    /// @notice A past round, as Chainlink aggregators keep them (the valuation replays rounds for its outage clock).
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[roundId];
        if (r.updatedAt == 0) revert NoDataPresent(roundId);
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }

    function _push(int256 answer) internal {
        if (answer <= 0) revert NonPositiveAnswer(answer);
        uint80 id = _roundId + 1;
        _roundId = id;
        _rounds[id] = Round({answer: answer, updatedAt: block.timestamp});
        emit AnswerUpdated(answer, id, block.timestamp);
    }
}
