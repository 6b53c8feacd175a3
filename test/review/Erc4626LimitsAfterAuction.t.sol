// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Review of issue 14 (commit 134fb35): the ERC-4626 limits, taken at their word while an auction is open and a
/// recovery is unlocking (the states where `totalAssets` deducts the most). Hold on 134fb35.
contract Erc4626LimitsAfterAuctionTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
    }

    function test_maxDepositAndMaxRedeemHonouredDuringAuction() public {
        _unhealthyAuction(1);
        weth.mint(address(this), 1 ether);
        weth.approve(address(pool), type(uint256).max);
        pool.bookRecovery(1 ether);

        address whale = makeAddr("whale");
        uint256 max = pool.maxDeposit(whale);
        assertGt(max, 0);
        weth.mint(whale, max);
        vm.startPrank(whale);
        weth.approve(address(pool), max);
        uint256 shares = pool.deposit(max, whale);
        assertEq(pool.maxDeposit(whale), 0, "full pool still promises deposits");
        uint256 r = pool.maxRedeem(whale);
        assertGt(r, 0);
        pool.redeem(r, whale, whale);
        vm.stopPrank();
        assertLe(r, shares);

        uint256 lr = pool.maxRedeem(lender);
        vm.prank(lender);
        pool.redeem(lr, lender, lender);
    }
}
