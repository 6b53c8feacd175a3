// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC1155} from "solady/tokens/ERC1155.sol";
import {ERC20} from "solady/tokens/ERC20.sol";
import {ERC721} from "solady/tokens/ERC721.sol";

/// @notice A plain ERC-20 with a USDC-style blocklist: a blocked account can neither send nor receive.
contract AuctionTestERC20 is ERC20 {
    error Blocked(address account);

    uint8 internal immutable DECIMALS;
    mapping(address account => bool) public blocked;

    constructor(uint8 decimals_) {
        DECIMALS = decimals_;
    }

    function name() public pure override returns (string memory) {
        return "Auction Test Token";
    }

    function symbol() public pure override returns (string memory) {
        return "ATT";
    }

    function decimals() public view override returns (uint8) {
        return DECIMALS;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _beforeTokenTransfer(address from, address to, uint256) internal view override {
        if (blocked[from]) revert Blocked(from);
        if (blocked[to]) revert Blocked(to);
    }
}

contract AuctionTestERC721 is ERC721 {
    function name() public pure override returns (string memory) {
        return "Auction Test NFT";
    }

    function symbol() public pure override returns (string memory) {
        return "ATN";
    }

    function tokenURI(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }
}

contract AuctionTestERC1155 is ERC1155 {
    function uri(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}
