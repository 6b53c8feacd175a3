// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Issue 15, item 4: `renew` is new credit. It respects a collection freeze and a borrow pause, only the
/// borrower may call it, and a trait premium proven at borrow is not carried into the new term; repayment stays open
/// under freeze and pause. Each renewal below went through on the code before issue 15.
contract ExposureRenewTest is BaseTest {
    uint256 internal loanId;
    ILendingPoolTypes.Loan internal loan;

    function setUp() public override {
        super.setUp();
        _deposit(lender, 100 ether);
        (loanId, loan) = _borrowApe(borrower, 1, 5 ether);
        skip(12 minutes);
        weth.mint(borrower, 10 ether);
        vm.prank(borrower);
        weth.approve(address(pool), type(uint256).max);
    }

    function test_RevertWhen_renew_collectionFrozen() public {
        vm.prank(guardian);
        pool.setCollectionFrozen(address(apes), true);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.CollectionFrozen.selector, address(apes)));
        pool.renew(loanId, loan);
    }

    function test_RevertWhen_renew_borrowsPaused() public {
        vm.prank(guardian);
        pool.pauseBorrows();
        vm.prank(borrower);
        vm.expectRevert(ILendingPoolTypes.BorrowPaused.selector);
        pool.renew(loanId, loan);
    }

    /// @notice A stranger cannot extend someone else's loan (nor strip its premium).
    function test_RevertWhen_renew_notBorrower() public {
        weth.mint(stranger, 1 ether);
        vm.startPrank(stranger);
        weth.approve(address(pool), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.NotBorrower.selector, stranger, borrower));
        pool.renew(loanId, loan);
        vm.stopPrank();
    }

    /// @notice Repayment stays open under a freeze and a pause together: partial, then full (the NFT comes back).
    function test_repay_worksUnderFreezeAndPause() public {
        vm.startPrank(guardian);
        pool.setCollectionFrozen(address(apes), true);
        pool.pauseBorrows();
        vm.stopPrank();
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory updated) = pool.repay(loanId, loan, 1 ether);
        vm.prank(borrower);
        pool.repay(loanId, updated, type(uint256).max);
        assertEq(apes.ownerOf(1), borrower);
        assertEq(pool.loanHash(loanId), bytes32(0));
    }

    /// @notice A premium that was proven once is not carried into a new term: the renewed loan has none.
    function test_renew_dropsTraitPremium() public {
        (uint256 id, ILendingPoolTypes.Loan memory withPremium) = _borrowWithPremium(9, 5 ether);
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory updated) = pool.renew(id, withPremium);
        assertEq(withPremium.premium, 15 ether);
        assertEq(updated.premium, 0, "renewal carries no premium");
        assertEq(pool.loanHash(id), keccak256(abi.encode(updated)));
    }

    /// @notice A loan healthy only thanks to its premium cannot renew: the premium would be carried unverified (its
    /// root revoked or expired since) into a new term.
    function test_RevertWhen_renew_healthyOnlyWithPremium() public {
        // 30 x 1.5 x 0.65 x 0.5 = 14.625: healthy with the premium (limit 30 x 1.5 x 0.65 x 0.7 = 20.475), not without
        // it (30 x 0.65 x 0.7 = 13.65 < 14.625).
        uint256 principal = (NFT_PRICE + 15 ether) * 6500 / 10_000 * 5000 / 10_000;
        (uint256 id, ILendingPoolTypes.Loan memory withPremium) = _borrowWithPremium(9, principal);
        uint256 debt = pool.debtOf(withPremium);
        uint256 hf = (NFT_PRICE * 6500 / 10_000 * 7000 / 10_000) * 1e18 / debt;
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.LoanUnhealthy.selector, id, hf));
        pool.renew(id, withPremium);
    }

    /// @notice Issue 15, item 8: the premium is stored in the asset, per unit, as proven. A rise of the collection's
    /// price does not grow it (stored as a ratio before, the 15-ether premium proven at 30 became 30 at 60).
    function test_premium_isAbsolute_doesNotGrowWithThePrice() public {
        (, ILendingPoolTypes.Loan memory l) = _borrowWithPremium(9, 5 ether);
        assertEq(l.premium, 15 ether);
        valuation.setPrice(address(apes), 60 ether);
        uint256 debt = pool.debtOf(l);
        // (60 + 15) x haircut 0.65 x threshold 0.7 / debt, where the ratio would have given (60 x 1.5).
        assertEq(pool.healthFactor(l), uint256(75 ether) * 6500 / 10_000 * 7000 / 10_000 * WAD / debt);
    }

    /// @notice After a fall the premium counts at most its multiple at origination x the price (review 3, finding
    /// 1: counted up to 10x the price instead, a loan borrowed at its trait cap stayed unliquidatable deep underwater).
    function test_premium_shrinksWithThePriceAtItsOriginationMultiple() public {
        (, ILendingPoolTypes.Loan memory l) = _borrowWithPremium(9, 5 ether);
        assertEq(l.premiumMultipleWad, 0.5e18, "15 over a price of 30");
        valuation.setPrice(address(apes), 10 ether); // the premium now counts 0.5 x 10 = 5, not 15
        uint256 debt = pool.debtOf(l);
        assertEq(pool.healthFactor(l), uint256(15 ether) * 6500 / 10_000 * 7000 / 10_000 * WAD / debt);
    }

    /// @notice The leaf's premium is per unit: a stack of n ERC-1155 units carries n premiums.
    function test_premium_perUnitOfAStack() public {
        items.mint(borrower, 3, 4);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = valuation.VALID_PROOF();
        vm.startPrank(borrower);
        items.setApprovalForAll(address(pool), true);
        // Unit price 1, premium 1.5 per unit: 4 x (1 + 1.5) x 0.65 x 0.5 = 3.25, the most this stack can borrow (a
        // premium counted once for the stack would allow 4 x 1 + 1.5 = 5.5 x 0.325 = 1.7875); one wei more is refused.
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsLtv.selector, 3.25 ether + 1, 3.25 ether));
        pool.borrow(address(items), 3, 4, 3.25 ether + 1, borrower, 1.5 ether, proof);
        (, ILendingPoolTypes.Loan memory l) = pool.borrow(address(items), 3, 4, 3.25 ether, borrower, 1.5 ether, proof);
        vm.stopPrank();
        assertEq(l.premium, 1.5 ether, "stored per unit");
    }

    function _borrowWithPremium(
        uint256 tokenId,
        uint256 principal
    ) internal returns (uint256 id, ILendingPoolTypes.Loan memory l) {
        _mintApe(borrower, tokenId);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = valuation.VALID_PROOF();
        vm.prank(borrower);
        (id, l) = pool.borrow(address(apes), tokenId, 1, principal, borrower, 15 ether, proof);
    }
}
