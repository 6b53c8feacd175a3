// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Refuses every ERC-1155 transfer, to show a hostile borrower cannot block its own repayment.
contract RefusingReceiver {
    bool public refuse;

    function setRefuse(bool value) external {
        refuse = value;
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external view returns (bytes4) {
        if (refuse) revert("no thanks");
        return this.onERC1155Received.selector;
    }

    function call(address target, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call(data);
        require(ok, "call failed");
    }
}

/// @notice repay (partial, full, on behalf), renew, interest accrual and the rate model.
contract LendingPoolRepayTest is BaseTest {
    uint256 internal loanId;
    ILendingPoolTypes.Loan internal loan;

    function setUp() public override {
        super.setUp();
        _deposit(lender, 100 ether);
        (loanId, loan) = _borrowApe(borrower, 1, 5 ether);
    }

    function _fund(address who, uint256 amount) internal {
        weth.mint(who, amount);
        vm.prank(who);
        weth.approve(address(pool), type(uint256).max);
    }

    function test_repay_fullReturnsNftAndClosesLoan() public {
        skip(10 days);
        uint256 debt = pool.debtOf(loan);
        _fund(borrower, 1 ether);
        vm.prank(borrower);
        (uint256 paid,) = pool.repay(loanId, loan, type(uint256).max);
        assertEq(paid, debt, "repay uses min(amount, debt)");
        assertEq(apes.ownerOf(1), borrower);
        assertEq(pool.loanHash(loanId), bytes32(0));
        assertEq(pool.totalDebt(), 0);
        assertEq(pool.cash(), 95 ether + debt);
    }

    function test_repay_onBehalf_nftGoesToBorrower() public {
        _fund(stranger, 10 ether);
        vm.prank(stranger);
        pool.repay(loanId, loan, type(uint256).max);
        assertEq(apes.ownerOf(1), borrower, "the payer never gets the collateral");
    }

    function test_repay_partialKeepsLoanOpen() public {
        _fund(borrower, 0);
        skip(30 days);
        uint256 debt = pool.debtOf(loan);
        vm.prank(borrower);
        (uint256 paid, ILendingPoolTypes.Loan memory updated) = pool.repay(loanId, loan, 2 ether);
        assertEq(paid, 2 ether);
        assertEq(pool.loanHash(loanId), keccak256(abi.encode(updated)));
        assertApproxEqAbs(pool.debtOf(updated), debt - 2 ether, 1);
        assertGe(pool.debtOf(updated), debt - 2 ether, "rounding never lowers the debt");
        uint256 interest = debt - 5 ether;
        assertEq(updated.principal, 5 ether - (2 ether - interest), "interest is paid before principal");
        assertEq(apes.ownerOf(1), address(pool));
        // the old commitment is dead
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        pool.repay(loanId, loan, 1 ether);
    }

    function test_RevertWhen_repay_zeroAmount() public {
        vm.prank(borrower);
        vm.expectRevert(ILendingPoolTypes.ZeroAmount.selector);
        pool.repay(loanId, loan, 0);
        assertEq(pool.loanHash(loanId), keccak256(abi.encode(loan)));
    }

    function test_RevertWhen_repay_partialLeavesDust() public {
        uint256 debt = pool.debtOf(loan);
        uint256 amount = debt - MIN_LOAN + 1;
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.LoanTooSmall.selector, MIN_LOAN - 1, MIN_LOAN));
        pool.repay(loanId, loan, amount);
        assertEq(pool.loanHash(loanId), keccak256(abi.encode(loan)));
        assertEq(pool.cash(), 95 ether);
    }

    function test_RevertWhen_repay_forgedLoan() public {
        ILendingPoolTypes.Loan memory forged = loan;
        forged.scaledDebt = 1;
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        pool.repay(loanId, forged, 1 ether);
        assertEq(pool.totalDebt(), 5 ether);
    }

    /// @dev `_checkLoan` copies the calldata loan raw, without the ABI decoder's per-field checks: the commitment
    /// check must still refuse every encoding that is not exactly the clean one (dirty high bits in an address or a
    /// uint40 word, a truncated struct), with the loan, the cash and the collateral untouched.
    function test_RevertWhen_repay_dirtyLoanEncoding() public {
        _fund(borrower, 10 ether);
        bytes memory clean = abi.encodeCall(pool.repay, (loanId, loan, type(uint256).max));
        // The loan starts after the selector and the id: word 0 is the borrower, word 9 the start time.
        uint256[2] memory dirtyWords = [uint256(0), 9];
        for (uint256 i; i < dirtyWords.length; ++i) {
            bytes memory dirty = bytes.concat(clean);
            dirty[4 + 32 + 32 * dirtyWords[i]] = 0x01; // the word's top byte: a value outside its type
            vm.prank(borrower);
            (bool ok, bytes memory ret) = address(pool).call(dirty);
            assertFalse(ok, "a dirty encoding is refused");
            assertEq(ret, abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        }
        // Truncated: the last loan word and the amount cut off.
        bytes memory short = new bytes(clean.length - 64);
        for (uint256 i; i < short.length; ++i) {
            short[i] = clean[i];
        }
        vm.prank(borrower);
        (bool okShort,) = address(pool).call(short);
        assertFalse(okShort, "a truncated loan is refused");
        // And renew checks the commitment the same way.
        bytes memory renewDirty = abi.encodeCall(pool.renew, (loanId, loan));
        renewDirty[4 + 32] = 0x01;
        vm.prank(borrower);
        (bool okRenew, bytes memory retRenew) = address(pool).call(renewDirty);
        assertFalse(okRenew);
        assertEq(retRenew, abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));

        assertEq(pool.loanHash(loanId), keccak256(abi.encode(loan)), "the loan is untouched");
        assertEq(apes.ownerOf(1), address(pool));
        assertEq(pool.cash(), 95 ether);
        // The clean encoding still works.
        vm.prank(borrower);
        (bool okClean,) = address(pool).call(clean);
        assertTrue(okClean);
        assertEq(apes.ownerOf(1), borrower);
    }

    function test_RevertWhen_repay_closedLoan() public {
        _repayAll(borrower, loanId, loan);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        pool.repay(loanId, loan, 1 ether);
    }

    /// @dev INV-L6: repayment works with the oracle down, borrows paused and the collection frozen.
    function test_repay_worksDuringOutagePauseAndFreeze() public {
        valuation.setStatus(address(apes), IValuation.Status.FloorStale);
        vm.startPrank(guardian);
        pool.pauseBorrows();
        pool.setCollectionFrozen(address(apes), true);
        vm.stopPrank();
        _repayAll(borrower, loanId, loan);
        assertEq(apes.ownerOf(1), borrower);
    }

    function test_repay_erc1155RefusedByBorrower_becomesClaimable() public {
        RefusingReceiver hostile = new RefusingReceiver();
        items.mint(address(hostile), 5, 4);
        hostile.call(address(items), abi.encodeWithSignature("setApprovalForAll(address,bool)", address(pool), true));
        bytes memory ret = hostile.call(
            address(pool),
            abi.encodeCall(pool.borrow, (address(items), 5, 4, 1 ether, address(hostile), 0, new bytes32[](0)))
        );
        (uint256 id, ILendingPoolTypes.Loan memory l) = abi.decode(ret, (uint256, ILendingPoolTypes.Loan));
        hostile.setRefuse(true);
        _repayAll(stranger, id, l); // someone repays for it; the refusal cannot block that
        assertEq(pool.loanHash(id), bytes32(0));
        assertEq(pool.nftClaimable(address(hostile), address(items), 5), 4);
        hostile.setRefuse(false);
        hostile.call(address(pool), abi.encodeCall(pool.claimNft, (address(items), 5, address(hostile))));
        assertEq(items.balanceOf(address(hostile), 5), 4);
        assertEq(pool.nftClaimable(address(hostile), address(items), 5), 0);
    }

    function test_renew_paysInterestAndExtends() public {
        skip(20 days);
        uint256 debt = pool.debtOf(loan);
        _fund(borrower, 1 ether);
        vm.prank(borrower);
        (uint256 interest, ILendingPoolTypes.Loan memory updated) = pool.renew(loanId, loan);
        assertEq(interest, debt - 5 ether);
        assertEq(updated.dueTime, block.timestamp + 30 days);
        assertApproxEqAbs(pool.debtOf(updated), 5 ether, 1);
        assertGe(pool.debtOf(updated), 5 ether, "the principal is never under-recorded");
        assertEq(updated.termsId, loan.termsId, "renewal keeps the loan's own terms");
    }

    function test_RevertWhen_renew_expired() public {
        skip(30 days + 1);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.LoanExpired.selector, loanId, loan.dueTime));
        pool.renew(loanId, loan);
    }

    function test_RevertWhen_renew_unhealthy() public {
        valuation.setPrice(address(apes), 10 ether); // 10 x 0.65 x 0.7 = 4.55 < 5
        uint256 hf = uint256(10 ether * 6500 / 10_000 * 7000 / 10_000) * 1e18 / 5 ether;
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.LoanUnhealthy.selector, loanId, hf));
        pool.renew(loanId, loan);
        assertEq(pool.loanHash(loanId), keccak256(abi.encode(loan)));
    }

    /*//////////////////////////////////////////////////////////////
                                INTEREST
    //////////////////////////////////////////////////////////////*/

    function test_interest_kinkRateAtUtilisation() public {
        (uint256 rate, uint256 u) = pool.borrowRate();
        assertEq(u, 0.05e18);
        assertApproxEqRel(rate * YEAR, 0.02e18 + 0.15e18 * 5 / 75, 1e12);
        // push utilisation above the kink: 90 %
        _borrowItems(borrower, 1, 300, 85 ether);
        (rate, u) = pool.borrowRate();
        assertEq(u, 0.9e18);
        assertApproxEqRel(rate * YEAR, 0.02e18 + 0.15e18 + 1.5e18 * 15 / 25, 1e12);
    }

    function test_interest_reserveGetsItsFactor() public {
        skip(YEAR);
        uint256 debt = pool.totalDebt();
        uint256 interest = debt - 5 ether;
        assertApproxEqAbs(pool.reserve(), interest / 10, 2);
        assertApproxEqAbs(pool.totalAssets(), 100 ether + interest - interest / 10, 2);
    }

    /// @dev SECURITY S32: a rate change accrues first, so the past is charged at the old rate.
    function test_setRateConfig_accruesFirst() public {
        skip(30 days);
        uint256 debtBefore = pool.totalDebt();
        ILendingPoolTypes.RateConfig memory rc = _defaultRateConfig(MIN_LOAN);
        rc.baseRate = uint48(uint256(0.1e18) / YEAR);
        vm.prank(timelock);
        pool.setRateConfig(rc);
        assertEq(pool.totalDebt(), debtBefore, "no retroactive rate");
    }

    /// @dev SECURITY S33: accruing every hour for a day equals accruing once, within 1e-9 relative. The rate is made
    /// independent of utilisation (slopes 0) so that only the compounding arithmetic is compared.
    function test_interest_frequentAccrualMatchesSingle() public {
        ILendingPoolTypes.RateConfig memory rc = _defaultRateConfig(MIN_LOAN);
        rc.baseRate = uint48(uint256(0.1e18) / YEAR);
        rc.slope1 = 0;
        rc.slope2 = 0;
        vm.prank(timelock);
        pool.setRateConfig(rc);
        uint256 snap = vm.snapshotState();
        skip(1 days);
        uint256 once = pool.totalDebt();
        vm.revertToState(snap);
        for (uint256 i; i < 24; ++i) {
            skip(1 hours);
            _deposit(lender2, 1); // any entry point accrues
        }
        assertApproxEqRel(pool.totalDebt(), once, 1e9);
    }

    function testFuzz_interest_indexNeverDecreases(uint32 dt1, uint32 dt2) public {
        skip(bound(dt1, 0, 3 * YEAR));
        uint256 i1 = pool.borrowIndex();
        _deposit(lender2, 1 ether);
        skip(bound(dt2, 0, 3 * YEAR));
        assertGe(pool.borrowIndex(), i1);
    }

    /// @dev Maximum rates at full utilisation for ten years neither overflow nor freeze the pool.
    function test_interest_extremeRatesDoNotOverflow() public {
        ILendingPoolTypes.RateConfig memory rc = _defaultRateConfig(MIN_LOAN);
        rc.baseRate = uint48(uint256(0.1e18) / YEAR);
        rc.slope1 = uint48(uint256(0.5e18) / YEAR);
        rc.slope2 = uint48(uint256(5e18) / YEAR);
        vm.prank(timelock);
        pool.setRateConfig(rc);
        for (uint256 i; i < 10; ++i) {
            skip(YEAR);
            pool.totalAssets();
            _deposit(lender2, 1);
        }
        _repayAll(borrower, loanId, loan);
        assertEq(apes.ownerOf(1), borrower);
    }
}
