// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {ERC721} from "solady/tokens/ERC721.sol";

/// @notice Re-enters the pool from the ERC-1155 receive hook when the pool returns its collateral.
contract ReentrantBorrower {
    ILendingPool internal immutable pool;
    bytes internal attack;
    bool public attempted;
    bytes public revertData;

    constructor(ILendingPool pool_) {
        pool = pool_;
    }

    function setAttack(bytes calldata data) external {
        attack = data;
    }

    function call(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        if (attack.length != 0 && !attempted) {
            attempted = true;
            (bool ok, bytes memory ret) = address(pool).call(attack);
            if (ok) revert("reentry succeeded");
            revertData = ret;
        }
        return this.onERC1155Received.selector;
    }
}

contract LendingPoolBorrowTest is BaseTest {
    bytes32[] internal noProof;

    function setUp() public override {
        super.setUp();
        _deposit(lender, 100 ether);
    }

    function test_borrow_erc721_locksNftAndPays() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 7, 5 ether);
        assertEq(loanId, 1);
        assertEq(apes.ownerOf(7), address(pool));
        assertEq(weth.balanceOf(borrower), 5 ether);
        assertEq(pool.cash(), 95 ether);
        assertEq(pool.totalDebt(), 5 ether);
        assertEq(pool.loanHash(1), keccak256(abi.encode(loan)));
        assertEq(loan.borrower, borrower);
        assertEq(loan.principal, 5 ether);
        assertEq(loan.dueTime, block.timestamp + 30 days);
        assertEq(loan.termsId, 1);
        assertEq(pool.debtOf(loan), 5 ether);
        (,, uint256 collectionDebt,) = pool.collectionState(address(apes));
        assertEq(collectionDebt, 5 ether);
    }

    function test_borrow_erc1155_amountAboveOne() public {
        (, ILendingPoolTypes.Loan memory loan) = _borrowItems(borrower, 3, 10, 3 ether);
        assertEq(items.balanceOf(address(pool), 3), 10);
        assertEq(loan.amount, 10);
        assertEq(weth.balanceOf(borrower), 3 ether);
    }

    function test_borrow_atExactlyMaxLtv() public {
        uint256 max = _maxApeLoan();
        _borrowApe(borrower, 1, max);
        assertEq(weth.balanceOf(borrower), max);
    }

    function test_borrow_byApprovedOperator_ownerIsBorrowerOfRecord() public {
        _mintApe(borrower, 5);
        vm.prank(borrower);
        apes.approve(stranger, 5);
        vm.prank(stranger);
        (, ILendingPoolTypes.Loan memory loan) = pool.borrow(address(apes), 5, 1, 1 ether, borrower, 0, noProof);
        assertEq(loan.borrower, borrower, "NFT returns to its owner");
        assertEq(weth.balanceOf(stranger), 1 ether, "the approved caller receives the funds");
    }

    function test_borrow_withTraitPremium_raisesLimitWithinCap() public {
        _mintApe(borrower, 9);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = valuation.VALID_PROOF();
        uint256 premium = 15 ether; // half the price
        uint256 max = (NFT_PRICE + premium) * 6500 / 10_000 * 5000 / 10_000;
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory loan) = pool.borrow(address(apes), 9, 1, max, borrower, premium, proof);
        assertEq(loan.premium, premium, "stored per unit, in the asset, as proven");
        assertEq(weth.balanceOf(borrower), max);
    }

    function test_borrow_inflatedPremium_isCapped() public {
        _mintApe(borrower, 9);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = valuation.VALID_PROOF();
        uint256 capMax = (NFT_PRICE * 3) * 6500 / 10_000 * 5000 / 10_000; // cap: premium <= 2 x price
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsLtv.selector, capMax + 1, capMax));
        pool.borrow(address(apes), 9, 1, capMax + 1, borrower, 1000 ether, proof);
    }

    /*//////////////////////////////////////////////////////////////
                        BAD INPUT: revert, nothing changes
    //////////////////////////////////////////////////////////////*/

    function _assertNothingChanged(uint256 id) internal view {
        assertEq(apes.ownerOf(id), borrower);
        assertEq(pool.cash(), 100 ether);
        assertEq(pool.totalDebt(), 0);
        assertEq(pool.loanHash(1), bytes32(0));
        assertEq(weth.balanceOf(borrower), 0);
    }

    function test_RevertWhen_borrow_zeroPrincipal() public {
        _mintApe(borrower, 1);
        vm.prank(borrower);
        vm.expectRevert(ILendingPoolTypes.ZeroAmount.selector);
        pool.borrow(address(apes), 1, 1, 0, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_unknownCollection() public {
        _mintApe(borrower, 1);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.TermsNotSet.selector, stranger));
        pool.borrow(stranger, 1, 1, 1 ether, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_notOwnedOrNotApproved() public {
        _mintApe(borrower, 1);
        // SECURITY S10: the owner approved the pool, but a stranger cannot pledge the owner's NFT.
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.NotApproved.selector, borrower, stranger));
        pool.borrow(address(apes), 1, 1, 1 ether, borrower, 0, noProof);
        _assertNothingChanged(1);
        // Claiming to be the owner of someone else's token fails in the transfer.
        vm.prank(stranger);
        vm.expectRevert();
        pool.borrow(address(apes), 1, 1, 1 ether, stranger, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_poolNotApproved() public {
        apes.mint(borrower, 1);
        vm.prank(borrower);
        // The NFT transfer reverts (solady ERC721: the pool is neither owner nor approved): the pool may not pull it.
        vm.expectRevert(ERC721.NotOwnerNorApproved.selector);
        pool.borrow(address(apes), 1, 1, 1 ether, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_aboveLtv() public {
        _mintApe(borrower, 1);
        uint256 max = _maxApeLoan();
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsLtv.selector, max + 1, max));
        pool.borrow(address(apes), 1, 1, max + 1, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_aboveDebtCeiling_newLoanIncluded() public {
        vm.prank(timelock);
        pool.setDebtCeiling(address(apes), 10 ether);
        _borrowApe(borrower, 2, 9 ether);
        _mintApe(borrower, 1);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsDebtCeiling.selector, 10 ether + 1, 10 ether));
        pool.borrow(address(apes), 1, 1, 1 ether + 1, borrower, 0, noProof);
        // exactly at the ceiling works
        vm.prank(borrower);
        pool.borrow(address(apes), 1, 1, 1 ether, borrower, 0, noProof);
    }

    function test_RevertWhen_borrow_belowMinimumLoan() public {
        _mintApe(borrower, 1);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.LoanTooSmall.selector, MIN_LOAN - 1, MIN_LOAN));
        pool.borrow(address(apes), 1, 1, MIN_LOAN - 1, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_moreThanCash() public {
        valuation.setPrice(address(apes), 1000 ether);
        _mintApe(borrower, 1);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.InsufficientLiquidity.selector, 101 ether, 100 ether));
        pool.borrow(address(apes), 1, 1, 101 ether, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_wrongTokenStandard() public {
        _mintApe(borrower, 1);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.InvalidAmount.selector, 2));
        pool.borrow(address(apes), 1, 2, 1 ether, borrower, 0, noProof);
        _assertNothingChanged(1);
        // An ERC-721 collection called through the ERC-1155 path does not exist: the standard is fixed at listing.
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.TokenStandardMismatch.selector, address(apes), 1, 2));
        pool.setTerms(address(apes), _defaultTerms(2), 1000 ether);
    }

    function test_RevertWhen_borrow_zeroErc1155Amount() public {
        items.mint(borrower, 1, 5);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.InvalidAmount.selector, 0));
        pool.borrow(address(items), 1, 0, 1 ether, borrower, 0, noProof);
    }

    function test_RevertWhen_borrow_oracleOutage() public {
        _mintApe(borrower, 1);
        valuation.setStatus(address(apes), IValuation.Status.FloorStale);
        vm.prank(borrower);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, address(apes), IValuation.Status.FloorStale
            )
        );
        pool.borrow(address(apes), 1, 1, 1 ether, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_paused() public {
        _mintApe(borrower, 1);
        vm.prank(guardian);
        pool.pauseBorrows();
        vm.prank(borrower);
        vm.expectRevert(ILendingPoolTypes.BorrowPaused.selector);
        pool.borrow(address(apes), 1, 1, 1 ether, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_borrow_collectionFrozen() public {
        _mintApe(borrower, 1);
        vm.prank(guardian);
        pool.setCollectionFrozen(address(apes), true);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.CollectionFrozen.selector, address(apes)));
        pool.borrow(address(apes), 1, 1, 1 ether, borrower, 0, noProof);
        _assertNothingChanged(1);
    }

    function test_RevertWhen_unsolicitedErc1155Transfer() public {
        items.mint(stranger, 1, 5);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnsolicitedTransfer.selector, stranger));
        items.safeTransferFrom(stranger, address(pool), 1, 5, "");
    }

    function test_RevertWhen_unsolicitedErc721SafeTransfer() public {
        apes.mint(stranger, 1);
        vm.prank(stranger);
        vm.expectRevert(); // the pool implements no ERC-721 receiver
        apes.safeTransferFrom(stranger, address(pool), 1);
    }

    /// @dev SECURITY S6/S7: a closed loan id can never be reused to borrow or repay again.
    function test_RevertWhen_reusingClosedLoan() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, 2 ether);
        _repayAll(borrower, loanId, loan);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        pool.repay(loanId, loan, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        pool.renew(loanId, loan);
    }

    /// @dev SECURITY S1/S3: a borrower contract re-entering from the ERC-1155 hook at repayment is stopped by the lock,
    /// and the repayment itself completes with the accounting intact.
    function test_reentrancy_fromErc1155ReturnHook_blocked() public {
        ReentrantBorrower attacker = new ReentrantBorrower(pool);
        items.mint(address(attacker), 4, 10);
        attacker.call(address(items), abi.encodeCall(items.setApprovalForAll, (address(pool), true)));
        bytes memory ret = attacker.call(
            address(pool), abi.encodeCall(pool.borrow, (address(items), 4, 10, 3 ether, address(attacker), 0, noProof))
        );
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = abi.decode(ret, (uint256, ILendingPoolTypes.Loan));
        // While the pool hands the units back, the hook tries to borrow against them again.
        attacker.setAttack(abi.encodeCall(pool.borrow, (address(items), 4, 10, 3 ether, address(attacker), 0, noProof)));
        _repayAll(borrower, loanId, loan);
        assertTrue(attacker.attempted());
        assertEq(bytes4(attacker.revertData()), bytes4(keccak256("Reentrancy()")));
        assertEq(items.balanceOf(address(attacker), 4), 10);
        assertEq(pool.totalDebt(), 0);
        assertEq(pool.loanHash(loanId), bytes32(0));
    }

    function testFuzz_borrow_neverAboveLtv(uint256 price, uint256 principal, uint256 amount) public {
        price = bound(price, 1 ether, 1000 ether);
        amount = bound(amount, 1, 100);
        valuation.setPrice(address(items), price);
        _deposit(lender, 10_000_000 ether);
        vm.prank(timelock);
        pool.setDebtCeiling(address(items), type(uint96).max);
        uint256 max = price * amount * 6500 / 10_000 * 5000 / 10_000;
        principal = bound(principal, MIN_LOAN, max * 2);
        items.mint(borrower, 1, amount);
        vm.startPrank(borrower);
        items.setApprovalForAll(address(pool), true);
        if (principal > max) {
            vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsLtv.selector, principal, max));
        }
        pool.borrow(address(items), 1, amount, principal, borrower, 0, noProof);
        vm.stopPrank();
    }
}
