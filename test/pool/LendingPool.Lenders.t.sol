// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {LendingPool} from "../../src/LendingPool.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {MockERC20, MockFeeToken} from "../mocks/MockERC20.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice The ERC-4626 lender side: deposit, mint, withdraw, redeem, previews, inflation and donation defences.
contract LendingPoolLendersTest is BaseTest {
    function test_deposit_mintsSharesAndTracksCash() public {
        uint256 shares = _deposit(lender, 10 ether);
        assertEq(shares, 10 ether * 1e6, "first deposit: 1e6 shares per wei");
        assertEq(pool.balanceOf(lender), shares);
        assertEq(pool.totalSupply(), shares);
        assertEq(pool.cash(), 10 ether);
        assertEq(pool.totalAssets(), 10 ether);
        assertEq(pool.decimals(), 24);
    }

    function test_RevertWhen_deposit_zeroAssets() public {
        vm.prank(lender);
        vm.expectRevert(ILendingPool.ZeroAmount.selector);
        pool.deposit(0, lender);
        assertEq(pool.totalSupply(), 0);
    }

    function test_RevertWhen_mint_zeroShares() public {
        vm.prank(lender);
        vm.expectRevert(ILendingPool.ZeroShares.selector);
        pool.mint(0, lender);
    }

    function test_RevertWhen_redeem_roundsToZeroAssets() public {
        _deposit(lender, 1 ether);
        vm.prank(lender);
        vm.expectRevert(ILendingPool.ZeroAmount.selector);
        pool.redeem(1, lender, lender); // 1 share = 1e-6 wei
        assertEq(pool.cash(), 1 ether);
    }

    function test_mint_chargesRoundedUp() public {
        _deposit(lender, 3 ether);
        weth.mint(lender2, 10 ether);
        vm.startPrank(lender2);
        weth.approve(address(pool), 10 ether);
        uint256 preview = pool.previewMint(1e6 + 1);
        uint256 paid = pool.mint(1e6 + 1, lender2);
        vm.stopPrank();
        assertEq(paid, preview);
        assertEq(paid, 2, "1e6 + 1 shares cost 2 wei: rounded up");
    }

    function test_withdraw_burnsSharesAndPays() public {
        _deposit(lender, 10 ether);
        vm.prank(lender);
        uint256 burned = pool.withdraw(4 ether, lender, lender);
        assertEq(burned, 4 ether * 1e6);
        assertEq(weth.balanceOf(lender), 4 ether);
        assertEq(pool.cash(), 6 ether);
    }

    function test_withdraw_byApprovedSpender() public {
        _deposit(lender, 10 ether);
        vm.prank(lender);
        pool.approve(stranger, 1 ether * 1e6);
        vm.prank(stranger);
        pool.withdraw(1 ether, stranger, lender);
        assertEq(weth.balanceOf(stranger), 1 ether);
        assertEq(pool.allowance(lender, stranger), 0);
    }

    function test_RevertWhen_withdraw_spenderNotApproved() public {
        _deposit(lender, 10 ether);
        vm.prank(stranger);
        vm.expectRevert(); // solady ERC20 InsufficientAllowance
        pool.withdraw(1 ether, stranger, lender);
        assertEq(pool.cash(), 10 ether);
    }

    function test_RevertWhen_withdraw_moreThanIdleCash() public {
        _deposit(lender, 10 ether);
        _borrowApe(borrower, 1, 9 ether);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ILendingPool.InsufficientLiquidity.selector, 2 ether, 1 ether));
        pool.withdraw(2 ether, lender, lender);
        assertEq(pool.cash(), 1 ether);
        assertEq(pool.maxWithdraw(lender), 1 ether, "maxWithdraw is capped by idle cash");
    }

    function test_maxRedeem_neverExceedsCash() public {
        _deposit(lender, 10 ether);
        _borrowApe(borrower, 1, 9 ether);
        skip(30 days);
        uint256 maxShares = pool.maxRedeem(lender);
        vm.prank(lender);
        uint256 assets = pool.redeem(maxShares, lender, lender);
        assertLe(assets, 1 ether);
        assertLe(pool.maxWithdraw(lender), pool.cash());
    }

    /// @dev SECURITY S28: first-depositor inflation. Donations are not counted, so the victim loses nothing.
    function test_inflationAttack_donationChangesNothing() public {
        _deposit(stranger, 1);
        weth.mint(stranger, 100 ether);
        vm.prank(stranger);
        weth.transfer(address(pool), 100 ether); // donation
        assertEq(pool.totalAssets(), 1, "donation not counted");
        uint256 shares = _deposit(lender, 2 ether);
        assertEq(pool.convertToAssets(shares), 2 ether, "victim keeps every wei");
        uint256 attackerShares = pool.balanceOf(stranger);
        vm.prank(stranger);
        uint256 back = pool.redeem(attackerShares, stranger, stranger);
        assertLe(back, 1, "attacker gets at most its own deposit");
    }

    function test_donationOfNft_changesNothing() public {
        _deposit(lender, 10 ether);
        uint256 before = pool.totalAssets();
        apes.mint(stranger, 77);
        vm.prank(stranger);
        apes.transferFrom(stranger, address(pool), 77);
        assertEq(pool.totalAssets(), before);
        assertEq(pool.loanHash(1), bytes32(0));
    }

    function test_RevertWhen_deposit_feeOnTransferAsset() public {
        MockFeeToken fee = new MockFeeToken();
        LendingPool feePool = _deployPool(address(fee), MIN_LOAN);
        fee.mint(lender, 10 ether);
        vm.startPrank(lender);
        fee.approve(address(feePool), 10 ether);
        vm.expectRevert(abi.encodeWithSelector(ILendingPool.FeeOnTransfer.selector, 10 ether, 9.9 ether));
        feePool.deposit(10 ether, lender);
        vm.stopPrank();
        assertEq(feePool.totalSupply(), 0);
        assertEq(fee.balanceOf(lender), 10 ether);
    }

    function test_stablecoinPool_sixDecimals() public {
        pool = _deployPool(address(usdc), 10e6);
        _listDefaults(pool);
        valuation.setPrice(address(apes), 50_000e6);
        uint256 shares = _deposit(lender, 100_000e6);
        assertEq(pool.decimals(), 12);
        assertEq(shares, 100_000e6 * 1e6);
        (uint256 loanId, ILendingPool.Loan memory loan) = _borrowApe(borrower, 1, 16_000e6);
        assertEq(usdc.balanceOf(borrower), 16_000e6);
        (uint256 ratePerSecond,) = pool.borrowRate();
        // 16 % utilisation: 2 % + 15 % x 0.16 / 0.75 = 5.2 % APR.
        assertApproxEqRel(ratePerSecond * YEAR, 0.052e18, 0.001e18);
        skip(YEAR);
        uint256 debt = pool.debtOf(loan);
        // Continuous compounding at ~5.2 % (the rate creeps up as debt grows): 16,000 x e^0.052 ~ 16,854.
        assertApproxEqRel(debt, 16_854e6, 0.002e18);
        _repayAll(borrower, loanId, loan);
        assertEq(apes.ownerOf(1), borrower);
        assertGt(pool.totalAssets(), 100_000e6);
    }

    /*//////////////////////////////////////////////////////////////
                       ERC-4626 PROPERTIES (fuzzed)
    //////////////////////////////////////////////////////////////*/

    /// @dev A pool with debt, accrued interest and an odd share price, so rounding matters.
    function _messyPool(uint256 seed) internal {
        _deposit(lender, 50 ether + (seed % 7 ether));
        _borrowApe(borrower, 1, 5 ether + (seed % 3 ether));
        skip(1 days + (seed % 90 days));
    }

    function testFuzz_deposit_previewMatchesExecution(uint256 seed, uint256 assets) public {
        _messyPool(seed);
        assets = bound(assets, 1, 1e30);
        uint256 preview = pool.previewDeposit(assets);
        vm.assume(preview > 0);
        assertEq(_deposit(lender2, assets), preview);
    }

    function testFuzz_mint_previewMatchesExecution(uint256 seed, uint256 shares) public {
        _messyPool(seed);
        shares = bound(shares, 1, 1e36);
        uint256 preview = pool.previewMint(shares);
        weth.mint(lender2, preview);
        vm.startPrank(lender2);
        weth.approve(address(pool), preview);
        assertEq(pool.mint(shares, lender2), preview);
        vm.stopPrank();
        assertEq(weth.balanceOf(lender2), 0);
    }

    function testFuzz_withdraw_previewMatchesExecution(uint256 seed, uint256 assets) public {
        _messyPool(seed);
        assets = bound(assets, 1, pool.maxWithdraw(lender));
        uint256 preview = pool.previewWithdraw(assets);
        vm.prank(lender);
        assertEq(pool.withdraw(assets, lender, lender), preview);
    }

    function testFuzz_redeem_previewMatchesExecution(uint256 seed, uint256 shares) public {
        _messyPool(seed);
        shares = bound(shares, 1, pool.maxRedeem(lender));
        uint256 preview = pool.previewRedeem(shares);
        vm.assume(preview > 0);
        vm.prank(lender);
        assertEq(pool.redeem(shares, lender, lender), preview);
    }

    /// @dev INV-A5: a deposit followed by a full redeem in the same block never returns more than was paid.
    function testFuzz_roundTrip_neverProfits(uint256 seed, uint256 assets) public {
        _messyPool(seed);
        assets = bound(assets, 1, 1e27);
        vm.assume(pool.previewDeposit(assets) > 0);
        uint256 shares = _deposit(lender2, assets);
        uint256 redeemable = pool.previewRedeem(shares);
        assertLe(redeemable, assets);
        // Taking the same assets back out costs at least the shares that were minted for them.
        if (redeemable > 0) assertGe(pool.previewWithdraw(redeemable), shares - pool.previewWithdraw(1));
        vm.prank(lender2);
        if (redeemable > 0) assertLe(pool.redeem(shares, lender2, lender2), assets);
    }

    /// @dev INV-A4: without bad debt the share price never falls, whatever the sequence.
    function testFuzz_sharePrice_monotoneWithoutWriteDowns(uint256 seed, uint96 dep, uint32 dt, uint96 wd) public {
        _messyPool(seed);
        uint256 p0 = _sharePrice();
        _deposit(lender2, bound(dep, 1, 1e24));
        uint256 p1 = _sharePrice();
        assertGe(p1, p0);
        skip(bound(dt, 0, 400 days));
        uint256 p2 = _sharePrice();
        assertGe(p2, p1);
        uint256 w = bound(wd, 1, pool.maxWithdraw(lender));
        vm.prank(lender);
        pool.withdraw(w, lender, lender);
        assertGe(_sharePrice(), p2);
    }
}
