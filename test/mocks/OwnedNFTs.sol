// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC1155} from "solady/tokens/ERC1155.sol";
import {ERC721} from "solady/tokens/ERC721.sol";

/// @notice Collections whose mint is restricted to their deployer: what a real network's collection looks like to
/// ts/deploy/verify.ts (no open mint), for the end-to-end test of a deployment to "a real RPC" (a test anvil).
contract OwnedERC721 is ERC721 {
    error NotMinter(address caller);

    address public immutable MINTER = msg.sender;

    function name() public pure override returns (string memory) {
        return "Owned 721";
    }

    function symbol() public pure override returns (string memory) {
        return "O721";
    }

    function tokenURI(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id) external {
        if (msg.sender != MINTER) revert NotMinter(msg.sender);
        _mint(to, id);
    }
}

contract OwnedERC1155 is ERC1155 {
    error NotMinter(address caller);

    address public immutable MINTER = msg.sender;

    function uri(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id, uint256 amount) external {
        if (msg.sender != MINTER) revert NotMinter(msg.sender);
        _mint(to, id, amount, "");
    }
}
