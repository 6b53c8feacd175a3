// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Whole-transaction gas of each pool operation, run with `forge test --isolate` so every call is its own
/// transaction (21,000 base and calldata included, cold storage as on chain). The market is not empty: one earlier
/// deposit and one open loan; users are fresh; 12 minutes pass before each measured operation so interest accrues.
/// Snapshots land in snapshots/PoolGasTest.json and CI fails when they change (FORGE_SNAPSHOT_CHECK=true).
contract PoolGasTest is BaseTest {
    address internal newLender = makeAddr("newLender");
    address internal newBorrower = makeAddr("newBorrower");
    uint256 internal openLoanId;
    ILendingPoolTypes.Loan internal openLoan;
    bytes32[] internal noProof;

    function setUp() public virtual override {
        super.setUp();
        _useRealValuation();
        _deposit(lender, 100 ether);
        (openLoanId, openLoan) = _borrowApe(borrower, 1000, 5 ether);
        // The measured borrower already holds some WETH (a balance slot exists) and has approved the pool.
        weth.mint(newBorrower, 1 ether);
        apes.mint(newBorrower, 1);
        items.mint(newBorrower, 1, 10);
        vm.startPrank(newBorrower);
        apes.setApprovalForAll(address(pool), true);
        items.setApprovalForAll(address(pool), true);
        weth.approve(address(pool), type(uint256).max);
        vm.stopPrank();
        weth.mint(newLender, 50 ether);
        vm.prank(newLender);
        weth.approve(address(pool), type(uint256).max);
        skip(12 minutes);
    }

    /// @dev Overridden by the real-valuation variant below; the mock keeps these numbers about the pool alone.
    function _useRealValuation() internal virtual {}

    function _label() internal pure virtual returns (string memory) {
        return "";
    }

    function _record(string memory name) internal {
        uint256 used = vm.lastCallGas().gasTotalUsed;
        vm.snapshotValue(string.concat(name, _label()), used);
    }

    function test_gas_depositFirst() public {
        vm.prank(newLender);
        pool.deposit(10 ether, newLender);
        _record("deposit first (new lender)");
    }

    function test_gas_depositRepeat() public {
        vm.prank(newLender);
        pool.deposit(10 ether, newLender);
        skip(12 minutes);
        vm.prank(newLender);
        pool.deposit(10 ether, newLender);
        _record("deposit repeat");
    }

    function test_gas_withdraw() public {
        vm.prank(newLender);
        pool.deposit(10 ether, newLender);
        skip(12 minutes);
        vm.prank(newLender);
        pool.withdraw(5 ether, newLender, newLender);
        _record("withdraw partial");
    }

    function test_gas_redeemAll() public {
        vm.prank(newLender);
        pool.deposit(10 ether, newLender);
        skip(12 minutes);
        uint256 shares = pool.balanceOf(newLender);
        vm.prank(newLender);
        pool.redeem(shares, newLender, newLender);
        _record("withdraw all (redeem)");
    }

    function test_gas_borrowErc721() public {
        vm.prank(newBorrower);
        pool.borrow(address(apes), 1, 1, 5 ether, newBorrower, 0, noProof);
        _record("borrow erc721 first (borrower holds the asset)");
    }

    function test_gas_borrowErc721_noAssetBalance() public {
        address fresh = makeAddr("fresh");
        _mintApe(fresh, 2);
        vm.prank(fresh);
        pool.borrow(address(apes), 2, 1, 5 ether, fresh, 0, noProof);
        _record("borrow erc721 first (borrower holds none of the asset)");
    }

    function test_gas_borrowErc1155() public {
        vm.prank(newBorrower);
        pool.borrow(address(items), 1, 10, 3 ether, newBorrower, 0, noProof);
        _record("borrow erc1155");
    }

    function _openMeasuredLoan() internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        vm.prank(newBorrower);
        (loanId, loan) = pool.borrow(address(apes), 1, 1, 5 ether, newBorrower, 0, noProof);
        weth.mint(newBorrower, 1 ether); // enough for the interest
        skip(12 minutes);
    }

    function test_gas_repayFull() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openMeasuredLoan();
        vm.prank(newBorrower);
        pool.repay(loanId, loan, type(uint256).max);
        _record("repay full (returns the erc721)");
    }

    /// @dev The same full repayment by a borrower who still holds another token of the collection, so its ERC-721
    /// balance goes from one to two instead of from zero to one (about 17,000 less, all of it in the NFT contract).
    function test_gas_repayFull_holdsAnotherToken() public {
        _mintApe(newBorrower, 7);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openMeasuredLoan();
        vm.prank(newBorrower);
        pool.repay(loanId, loan, type(uint256).max);
        _record("repay full (returns the erc721, borrower holds another token of it)");
    }

    function test_gas_repayPartial() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openMeasuredLoan();
        vm.prank(newBorrower);
        pool.repay(loanId, loan, 1 ether);
        _record("repay partial");
    }

    function test_gas_renew() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openMeasuredLoan();
        vm.prank(newBorrower);
        pool.renew(loanId, loan);
        _record("renew");
    }

    function test_gas_totalAssetsRead() public {
        pool.totalAssets();
        _record("totalAssets view");
    }
}

/// @notice The same operations with the real valuation path: a `Valuation` proxy with a ready TWAP (16 sales, 10
/// minutes apart) and a fresh floor feed, so borrow and renew pay for `price()` as they will on chain.
contract PoolGasRealValuationTest is PoolGasTest {
    function _label() internal pure override returns (string memory) {
        return ", real valuation";
    }

    function _useRealValuation() internal override {
        (Valuation real,,) = _deployReadyValuation();
        pool = _deployPoolWith(address(weth), address(real), MIN_LOAN);
        _listDefaults(pool);
        vm.prank(borrower);
        apes.setApprovalForAll(address(pool), true);
    }

    /// @notice The same borrow when the valuation's outage clock was recorded since the floor feed's last round (any
    /// sale report or `checkpoint` does it): `outage()` then takes its quiet path instead of replaying the feed's
    /// rounds. The fixture above lists the collections before their feed answers, so its first record holds a bad
    /// round and every `outage()` read replays until a checkpoint: the two rows bound what a borrow pays for the
    /// outage base (issue 15, item 7).
    function test_gas_borrowErc721_outageClockRecorded() public {
        Valuation(pool.valuation()).checkpoint(address(apes));
        skip(12 minutes);
        vm.prank(newBorrower);
        pool.borrow(address(apes), 1, 1, 5 ether, newBorrower, 0, noProof);
        _record("borrow erc721 first (borrower holds the asset), outage clock recorded");
    }
}
