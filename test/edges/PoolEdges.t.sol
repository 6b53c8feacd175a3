// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {LendingPool} from "../../src/LendingPool.sol";
import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {LendingPoolExtension} from "../../src/pool/LendingPoolExtension.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

interface IERC165Probe {
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// @notice A valuation whose trait pricer accepts any premium: only the pool's own cap stands between a borrower and
/// an unbounded premium.
contract GenerousValuation is IValuation {
    uint256 public immutable PRICE;

    constructor(uint256 price_) {
        PRICE = price_;
    }

    function price(address) external view returns (uint256) {
        return PRICE;
    }

    function priceView(address) external view returns (uint256, Status) {
        return (PRICE, Status.Ok);
    }

    function traitPremium(
        address,
        uint256,
        uint256 premium,
        bytes32[] calldata,
        uint256
    ) external pure returns (uint256) {
        return premium;
    }

    function outage(address) external pure returns (uint64, uint64) {
        return (0, 0);
    }

    function assetDecimals() external pure returns (uint8) {
        return 18;
    }

    function deviationBps(address) external pure returns (uint256) {
        return 0;
    }
}

/// @notice Pool, extension and role paths that the scenario suites do not reach: constructor and initialiser
/// checks, zero-argument reverts, admin input validation, and the caps and defaults that only bind at the edges.
/// Each revert test asserts the exact error (with its arguments) and that nothing changed.
contract PoolEdgesTest is BaseTest {
    /*//////////////////////////////////////////////////////////////
                       CONSTRUCTION AND INITIALISATION
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_constructor_zeroExtension() public {
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        new LendingPool(address(weth), address(valuation), address(0));
    }

    function test_RevertWhen_constructor_zeroAssetOrValuation() public {
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        new LendingPoolExtension(address(0), address(valuation));
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        new LendingPoolExtension(address(weth), address(0));
    }

    function test_RevertWhen_constructor_extensionBuiltForAnotherAssetOrValuation() public {
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        address otherAsset = address(new LendingPoolExtension(address(dai), address(valuation)));
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExtensionMismatch.selector, otherAsset));
        new LendingPool(address(weth), address(valuation), otherAsset);

        address otherValuation = address(new LendingPoolExtension(address(weth), address(new GenerousValuation(1))));
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExtensionMismatch.selector, otherValuation));
        new LendingPool(address(weth), address(valuation), otherValuation);
    }

    function test_RevertWhen_initialize_zeroCustody() public {
        LendingPool impl = new LendingPool(
            address(weth), address(valuation), address(new LendingPoolExtension(address(weth), address(valuation)))
        );
        bytes memory init = abi.encodeCall(
            LendingPool.initialize, ("P", "P", timelock, guardian, address(0), _defaultRateConfig(MIN_LOAN))
        );
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        new ERC1967Proxy(address(impl), init);
    }

    function test_nameSymbolAndDecimals_fromInitialiseAndAsset() public view {
        assertEq(pool.name(), "NFT Pool WETH");
        assertEq(pool.symbol(), "npWETH");
        assertEq(pool.decimals(), 24, "18 asset decimals + 6 virtual-share decimals");
    }

    /*//////////////////////////////////////////////////////////////
                                LENDER SIDE
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_withdraw_zeroAssets() public {
        uint256 shares = _deposit(lender, 5 ether);
        vm.prank(lender);
        vm.expectRevert(ILendingPoolTypes.ZeroAmount.selector);
        pool.withdraw(0, lender, lender);
        assertEq(pool.balanceOf(lender), shares);
        assertEq(pool.cash(), 5 ether);
    }

    function test_RevertWhen_redeem_zeroShares() public {
        uint256 shares = _deposit(lender, 5 ether);
        vm.prank(lender);
        vm.expectRevert(ILendingPoolTypes.ZeroShares.selector);
        pool.redeem(0, lender, lender);
        assertEq(pool.balanceOf(lender), shares);
        assertEq(pool.cash(), 5 ether);
    }

    function test_conversionsAndLimits_onEmptyAndFundedPool() public {
        // Empty pool: 1e6 virtual shares per unit of asset.
        assertEq(pool.convertToShares(1 ether), 1 ether * 1e6);
        assertEq(pool.maxDeposit(lender), type(uint112).max, "cash is a uint112");
        assertEq(pool.maxMint(lender), uint256(type(uint112).max) * 1e6, "the shares maxDeposit buys");
        _deposit(lender, 10 ether);
        // Issue 14: the limit is what idle cash can still take, so deposit(maxDeposit) never overflows it.
        assertEq(pool.maxDeposit(lender), type(uint112).max - 10 ether);
        (, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, 5 ether);
        vm.warp(block.timestamp + 180 days);
        // Interest makes a share worth more: fewer shares per asset, and convertToShares inverts convertToAssets.
        uint256 shares = pool.convertToShares(1 ether);
        assertLt(shares, 1 ether * 1e6);
        assertApproxEqAbs(pool.convertToAssets(shares), 1 ether, 1);
        assertEq(pool.liquidator(), liquidator);
        assertGt(pool.debtOf(loan), 5 ether);
    }

    /*//////////////////////////////////////////////////////////////
                                   LOANS
    //////////////////////////////////////////////////////////////*/

    function test_healthFactor_maxWhenNoDebt() public view {
        ILendingPoolTypes.Loan memory loan;
        loan.collection = address(apes);
        loan.tokenId = 1;
        loan.amount = 1;
        loan.termsId = 1;
        assertEq(pool.healthFactor(loan), type(uint256).max);
    }

    function test_RevertWhen_healthFactor_valuationUnavailable() public {
        _deposit(lender, 20 ether);
        (, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, 5 ether);
        valuation.setStatus(address(apes), IValuation.Status.FloorStale);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, address(apes), IValuation.Status.FloorStale
            )
        );
        pool.healthFactor(loan);
    }

    function test_RevertWhen_renew_loanInAuction() public {
        _deposit(lender, 20 ether);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, 5 ether);
        valuation.setPrice(address(apes), 5 ether); // unhealthy
        vm.prank(liquidator);
        (, ILendingPoolTypes.Loan memory inAuction) = pool.startAuction(loanId, loan, keeper);
        bytes32 hashBefore = pool.loanHash(loanId);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.LoanInAuction.selector, loanId));
        pool.renew(loanId, inAuction);
        assertEq(pool.loanHash(loanId), hashBefore);
    }

    function test_RevertWhen_settleAuction_notLiquidator() public {
        _deposit(lender, 20 ether);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, 5 ether);
        valuation.setPrice(address(apes), 5 ether);
        vm.prank(liquidator);
        (, ILendingPoolTypes.Loan memory inAuction) = pool.startAuction(loanId, loan, keeper);
        uint256 cashBefore = pool.cash();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.NotLiquidator.selector, stranger));
        pool.settleAuction(loanId, inAuction, stranger, 100 ether, keeper);
        assertEq(pool.cash(), cashBefore);
        assertEq(apes.ownerOf(1), address(pool), "the NFT stays in custody");
    }

    function test_borrow_traitPremiumCappedAtTenTimesThePrice() public {
        GenerousValuation generous = new GenerousValuation(1 ether);
        pool = _deployPoolWith(address(weth), address(generous), MIN_LOAN);
        _listDefaults(pool);
        _deposit(lender, 100 ether);
        _mintApe(borrower, 7);
        bytes32[] memory proof = new bytes32[](1);
        // A 1,000x premium is accepted by this pricer and stored as proven; the pool counts it at most 10x the price
        // (MAX_PREMIUM_MULTIPLE) whenever it values the loan.
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory loan) = pool.borrow(address(apes), 7, 1, 1 ether, borrower, 1000 ether, proof);
        assertEq(loan.premium, 1000 ether);
        // Max borrow at the cap: 1 x (1 + 10) x 0.65 x 0.5 = 3.575; one wei more is refused.
        _mintApe(borrower, 8);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsLtv.selector, 3.575 ether + 1, 3.575 ether));
        pool.borrow(address(apes), 8, 1, 3.575 ether + 1, borrower, 1000 ether, proof);
        vm.prank(borrower);
        pool.borrow(address(apes), 8, 1, 3.575 ether, borrower, 1000 ether, proof);
        assertEq(apes.ownerOf(8), address(pool));
    }

    function test_RevertWhen_erc1155BatchSentToPool() public {
        items.mint(stranger, 1, 2);
        uint256[] memory ids = new uint256[](1);
        uint256[] memory amounts = new uint256[](1);
        ids[0] = 1;
        amounts[0] = 2;
        // Batches are never solicited by the pool: they bounce, whoever sends them.
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnsolicitedTransfer.selector, stranger));
        items.safeBatchTransferFrom(stranger, address(pool), ids, amounts, "");
        assertEq(items.balanceOf(address(pool), 1), 0);
        assertEq(items.balanceOf(stranger, 1), 2);
    }

    function test_supportsInterface_erc165AndErc1155ReceiverOnly() public view {
        IERC165Probe probe = IERC165Probe(address(pool));
        assertTrue(probe.supportsInterface(0x01ffc9a7), "ERC-165");
        assertTrue(probe.supportsInterface(0x4e2312e0), "ERC-1155 receiver");
        assertFalse(probe.supportsInterface(0x80ac58cd), "not an ERC-721");
        assertFalse(probe.supportsInterface(0xffffffff), "0xffffffff is never supported (ERC-165)");
    }

    /*//////////////////////////////////////////////////////////////
                                   ROLES
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_guardianAction_byStranger() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotGuardian.selector, stranger));
        pool.pauseBorrows();
        assertFalse(pool.rateConfig().borrowPaused);
    }

    function test_setGuardian_byTimelockOnly_neverZero() public {
        address newGuardian = makeAddr("newGuardian");
        vm.prank(timelock);
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        IGoverned(address(pool)).setGuardian(address(0));
        assertEq(IGoverned(address(pool)).guardian(), guardian);

        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, guardian));
        IGoverned(address(pool)).setGuardian(newGuardian);

        vm.prank(timelock);
        vm.expectEmit(address(pool));
        emit IGoverned.GuardianSet(newGuardian);
        IGoverned(address(pool)).setGuardian(newGuardian);
        assertEq(IGoverned(address(pool)).guardian(), newGuardian);
        // The old guardian lost its power at once.
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotGuardian.selector, guardian));
        pool.pauseBorrows();
    }

    /*//////////////////////////////////////////////////////////////
                               ADMINISTRATION
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_setTerms_zeroCollection() public {
        vm.prank(timelock);
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        pool.setTerms(address(0), _defaultTerms(1), 1 ether);
    }

    /// @dev Every condition `setTerms` refuses, one at a time from valid terms, names its own error and values; the
    /// collection's terms record and ceiling stay as they were.
    function test_RevertWhen_setTerms_eachConditionNamesItsError() public {
        (uint32 idBefore, uint256 ceilingBefore,,) = pool.collectionState(address(apes));
        ILendingPoolTypes.Terms memory t = _defaultTerms(1);
        t.standard = 3;
        _expectTermsRevert(t, 1 ether, abi.encodeWithSelector(ILendingPoolTypes.UnknownTokenStandard.selector, 3));
        t = _defaultTerms(1);
        t.ltvBps = 0;
        _expectTermsRevert(
            t, 1 ether, abi.encodeWithSelector(ILendingPoolTypes.LtvOutOfRange.selector, 0, t.liqThresholdBps)
        );
        t = _defaultTerms(1);
        t.liqThresholdBps = 10_000;
        _expectTermsRevert(
            t, 1 ether, abi.encodeWithSelector(ILendingPoolTypes.LiqThresholdNotBelowFull.selector, 10_000)
        );
        t = _defaultTerms(1);
        t.haircutBps = 0;
        _expectTermsRevert(t, 1 ether, abi.encodeWithSelector(ILendingPoolTypes.HaircutOutOfRange.selector, 0));
        t.haircutBps = 10_001;
        _expectTermsRevert(t, 1 ether, abi.encodeWithSelector(ILendingPoolTypes.HaircutOutOfRange.selector, 10_001));
        t = _defaultTerms(1);
        t.penaltyBps = 2001;
        _expectTermsRevert(t, 1 ether, abi.encodeWithSelector(ILendingPoolTypes.PenaltyAboveMax.selector, 2001, 2000));
        t = _defaultTerms(1);
        t.keeperShareBps = 10_001;
        _expectTermsRevert(t, 1 ether, abi.encodeWithSelector(ILendingPoolTypes.KeeperShareAboveFull.selector, 10_001));
        t = _defaultTerms(1);
        t.auctionReserveBps = 0;
        _expectTermsRevert(
            t,
            1 ether,
            abi.encodeWithSelector(ILendingPoolTypes.AuctionReserveOutOfRange.selector, 0, t.auctionStartBps)
        );
        t.auctionReserveBps = t.auctionStartBps + 1;
        _expectTermsRevert(
            t,
            1 ether,
            abi.encodeWithSelector(
                ILendingPoolTypes.AuctionReserveOutOfRange.selector, t.auctionStartBps + 1, t.auctionStartBps
            )
        );
        t = _defaultTerms(1);
        t.duration = 0;
        _expectTermsRevert(t, 1 ether, abi.encodeWithSelector(ILendingPoolTypes.ZeroLoanDuration.selector));
        t = _defaultTerms(1);
        t.auctionDuration = 48 hours + 1;
        _expectTermsRevert(
            t,
            1 ether,
            abi.encodeWithSelector(
                ILendingPoolTypes.AuctionDurationOutOfRange.selector, 48 hours + 1, 24 hours, 48 hours
            )
        );
        uint256 wide = uint256(type(uint96).max) + 1;
        _expectTermsRevert(
            _defaultTerms(1),
            wide,
            abi.encodeWithSelector(ILendingPoolTypes.ExceedsStorageWidth.selector, wide, type(uint96).max)
        );
        (uint32 idAfter, uint256 ceilingAfter,,) = pool.collectionState(address(apes));
        assertEq(idAfter, idBefore);
        assertEq(ceilingAfter, ceilingBefore);
    }

    function _expectTermsRevert(ILendingPoolTypes.Terms memory t, uint256 ceiling, bytes memory err) internal {
        vm.prank(timelock);
        vm.expectRevert(err);
        pool.setTerms(address(apes), t, ceiling);
    }

    function test_RevertWhen_setDebtCeiling_unlistedOrTooLarge() public {
        address unlisted = makeAddr("unlisted");
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.TermsNotSet.selector, unlisted));
        pool.setDebtCeiling(unlisted, 1 ether);

        (, uint256 ceilingBefore,,) = pool.collectionState(address(apes));
        vm.prank(timelock);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILendingPoolTypes.ExceedsStorageWidth.selector, uint256(type(uint96).max) + 1, type(uint96).max
            )
        );
        pool.setDebtCeiling(address(apes), uint256(type(uint96).max) + 1);
        (, uint256 ceilingAfter,,) = pool.collectionState(address(apes));
        assertEq(ceilingAfter, ceilingBefore);
    }

    function test_RevertWhen_setCollectionFrozen_unlisted() public {
        address unlisted = makeAddr("unlisted");
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.TermsNotSet.selector, unlisted));
        pool.setCollectionFrozen(unlisted, true);
    }

    function test_RevertWhen_setLiquidator_zero() public {
        vm.prank(timelock);
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        pool.setLiquidator(address(0));
        assertEq(pool.liquidator(), liquidator);
    }

    function test_setCustody_timelockOnly_neverZero() public {
        address vault = makeAddr("vault");
        vm.prank(timelock);
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        pool.setCustody(address(0));
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, guardian));
        pool.setCustody(vault);
        assertEq(pool.custody(), custody);
        vm.expectEmit(address(pool));
        emit ILendingPoolTypes.CustodySet(vault);
        vm.prank(timelock);
        pool.setCustody(vault);
        assertEq(pool.custody(), vault);
    }

    /// @dev Only the timelock sets the unlock period, and only within [1 h, 7 d].
    function test_setUnlockPeriod_timelockOnly_bounded() public {
        uint256 before = pool.unlockPeriod();
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, guardian));
        pool.setUnlockPeriod(2 hours);
        vm.startPrank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.InvalidUnlockPeriod.selector, 1 hours - 1));
        pool.setUnlockPeriod(1 hours - 1);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.InvalidUnlockPeriod.selector, 7 days + 1));
        pool.setUnlockPeriod(7 days + 1);
        assertEq(pool.unlockPeriod(), before);
        vm.expectEmit(address(pool));
        emit ILendingPoolTypes.UnlockPeriodSet(2 hours);
        pool.setUnlockPeriod(2 hours);
        vm.stopPrank();
        assertEq(pool.unlockPeriod(), 2 hours);
    }

    /// @dev Shares move by `transferFrom` only within the allowance, which it spends.
    function test_shareTransferFrom_spendsTheAllowance() public {
        address owner_ = makeAddr("shareOwner");
        address spender = makeAddr("spender");
        address to = makeAddr("to");
        uint256 shares = _deposit(owner_, 10 ether);
        vm.prank(owner_);
        pool.approve(spender, shares / 2);
        vm.prank(spender);
        assertTrue(pool.transferFrom(owner_, to, shares / 2));
        assertEq(pool.balanceOf(to), shares / 2);
        assertEq(pool.balanceOf(owner_), shares - shares / 2);
        assertEq(pool.allowance(owner_, spender), 0);
        vm.prank(spender);
        vm.expectRevert(bytes4(0x13be252b)); // solady ERC20 InsufficientAllowance()
        pool.transferFrom(owner_, to, 1);
    }

    function test_RevertWhen_claimNft_nothingClaimable() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.NothingToClaim.selector, stranger));
        pool.claimNft(address(items), 1, stranger);
    }

    function test_RevertWhen_withdrawReserve_zero() public {
        vm.prank(timelock);
        vm.expectRevert(ILendingPoolTypes.ZeroAmount.selector);
        pool.withdrawReserve(0, timelock);
    }

    function test_withdrawReserve_neverMoreThanIdleCash() public {
        _deposit(lender, 10 ether);
        _borrowApe(borrower, 1, _maxApeLoan()); // 9.75 of 10 lent out
        vm.warp(block.timestamp + 5 * YEAR); // the reserve's share of the interest outgrows the idle 0.25
        (uint256 reserve, uint256 cashNow) = (pool.reserve(), pool.cash());
        assertGt(reserve, cashNow, "fixture: reserve above idle cash");
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ReserveTooLow.selector, cashNow + 1, cashNow));
        pool.withdrawReserve(cashNow + 1, timelock);
        vm.prank(timelock);
        pool.withdrawReserve(cashNow, timelock);
        assertEq(weth.balanceOf(timelock), cashNow);
        assertEq(pool.cash(), 0);
        assertEq(pool.reserve(), reserve - cashNow);
    }
}
