// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20} from "solady/tokens/ERC20.sol";

/// @notice Test asset with free minting and configurable decimals; as cheap as WETH9, so gas numbers are honest.
contract MockERC20 is ERC20 {
    string internal _name;
    string internal _symbol;
    uint8 internal immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        _name = name_;
        _symbol = symbol_;
        _decimals = decimals_;
    }

    function name() public view override returns (string memory) {
        return _name;
    }

    function symbol() public view override returns (string memory) {
        return _symbol;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _givePermit2InfiniteAllowance() internal pure override returns (bool) {
        return false;
    }
}

/// @notice Takes a 1 % fee on every transfer: the pool must reject it.
contract MockFeeToken is MockERC20 {
    constructor() MockERC20("Fee Token", "FEE", 18) {}

    function transferFrom(address from, address to, uint256 amount) public override returns (bool) {
        uint256 fee = amount / 100;
        _spendAllowance(from, msg.sender, amount);
        _transfer(from, to, amount - fee);
        _burn(from, fee);
        return true;
    }
}

/// @notice A USDC-style token whose owner can blocklist accounts: transfers from or to them revert.
contract MockBlocklistToken is MockERC20 {
    mapping(address => bool) public blocked;

    error Blocked(address account);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) MockERC20(name_, symbol_, decimals_) {}

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _beforeTokenTransfer(address from, address to, uint256) internal view override {
        if (blocked[from]) revert Blocked(from);
        if (blocked[to]) revert Blocked(to);
    }
}
