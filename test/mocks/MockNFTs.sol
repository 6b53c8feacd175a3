// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC1155} from "solady/tokens/ERC1155.sol";
import {ERC721} from "solady/tokens/ERC721.sol";

contract MockERC721 is ERC721 {
    function name() public pure override returns (string memory) {
        return "Mock Apes";
    }

    function symbol() public pure override returns (string memory) {
        return "MAPE";
    }

    function tokenURI(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }
}

contract MockERC1155 is ERC1155 {
    function uri(uint256) public pure override returns (string memory) {
        return "";
    }

    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}
