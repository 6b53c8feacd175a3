// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Issue 14 review, F3: a settler of a fully lent pool is credited its reward all the same; the reward is owed
/// (a liability of the lenders, already booked at the auction's start) and paid in from idle cash when the settler
/// claims after cash returns. Neither the settlement nor the claim moves the share price, and an unfunded claim never
/// takes the lenders' cash.
contract SettlerRewardOwedTest is BaseTest {
    address internal settler = makeAddr("settler");

    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
    }

    function test_settlerRewardOwedInDrainedPoolIsPaidWhenCashReturns() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        _borrowItems(lender2, 7, 40, pool.cash());
        assertEq(pool.cash(), 0, "pool not drained");
        skip(a.duration);
        uint256 assetsBefore = pool.totalAssets();
        vm.prank(settler);
        auction.settle(loanId, loan, a);
        uint256 reward = pool.claimable(settler);
        assertGt(reward, 0, "settler not credited");
        assertEq(pool.rewardsOwed(), reward, "the unpaid reward is not on the books as owed");
        // Booked at the start: the settlement leaves the share price where it was, and locks nothing.
        assertEq(pool.totalAssets(), assetsBefore, "settlement moved the share price");
        (uint256 locked,) = pool.lockedRecovery();
        assertEq(locked, 0, "an owed reward was locked as a recovery");

        // No idle cash: the claim waits, and the lenders' cash (none) is untouched.
        uint256 balanceBefore = weth.balanceOf(address(pool));
        vm.prank(settler);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ClaimNotFunded.selector, reward, balanceBefore));
        pool.claim(settler);

        // Less cash than the reward returns: the claim still waits (it is paid whole or not at all), nothing is paid
        // in, and the liability stays as it was.
        _deposit(lender, reward / 2);
        // What the claim may take: the balance beyond idle cash, once the half it could pay in is counted.
        uint256 available = weth.balanceOf(address(pool)) - pool.cash() + reward / 2;
        vm.prank(settler);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ClaimNotFunded.selector, reward, available));
        pool.claim(settler);
        assertEq(pool.rewardsOwed(), reward, "a refused claim changed what is owed");

        // Cash returns (a deposit); the claim pays the reward in from it, and the share price does not move.
        _deposit(lender, 10 ether);
        uint256 priceBefore = pool.convertToAssets(1e18);
        uint256 cashBefore = pool.cash();
        vm.prank(settler);
        uint256 paid = pool.claim(settler);
        assertEq(paid, reward, "reward not paid in full");
        assertEq(pool.rewardsOwed(), 0, "the paid reward is still owed");
        assertEq(weth.balanceOf(settler), reward);
        assertEq(pool.cash(), cashBefore - reward, "the reward did not come from idle cash");
        assertEq(pool.convertToAssets(1e18), priceBefore, "paying an owed reward moved the share price");
        assertGe(weth.balanceOf(address(pool)), pool.cash(), "lenders' cash no longer backed");
    }
}
