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
        assertEq(withPremium.premiumWad, 0.5e18);
        assertEq(updated.premiumWad, 0, "renewal carries no premium");
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
