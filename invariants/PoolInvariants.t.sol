// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPool} from "../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../src/interfaces/ILendingPoolTypes.sol";
import {BaseTest} from "../test/utils/BaseTest.sol";
import {Test} from "forge-std/Test.sol";

/// @notice What the handler asks of the fixture that owns the mocks.
interface IFixture {
    function mintAsset(address to, uint256 amount) external;
    function mintApeTo(address to, uint256 id) external;
    function maxApeLoan() external view returns (uint256);
    function minLoan() external pure returns (uint256);
    function apesAddress() external view returns (address);
}

/// @notice Drives the pool with bounded random actions: deposits, withdrawals, borrows, partial and full repayments,
/// time, donations and price moves. Ghost state mirrors what must be true.
contract PoolHandler is Test {
    IFixture internal immutable T;
    ILendingPool internal immutable pool;
    address[] public actors;
    uint256[] public openIds;
    mapping(uint256 => ILendingPoolTypes.Loan) public loans;
    uint256 public nextToken = 1;
    uint256 public lastSharePrice;
    bool public sharePriceFell;
    uint256 public calls;

    constructor(IFixture t, ILendingPool pool_, address[] memory actors_) {
        T = t;
        pool = pool_;
        actors = actors_;
        lastSharePrice = pool.convertToAssets(1e24);
    }

    modifier tracked() {
        _;
        calls++;
        uint256 p = pool.convertToAssets(1e24);
        if (p < lastSharePrice) sharePriceFell = true;
        lastSharePrice = p;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function deposit(uint256 seed, uint256 assets) external tracked {
        address a = _actor(seed);
        assets = bound(assets, 1, 1000 ether);
        T.mintAsset(a, assets);
        vm.prank(a);
        pool.deposit(assets, a);
    }

    function withdraw(uint256 seed, uint256 assets) external tracked {
        address a = _actor(seed);
        uint256 max = pool.maxWithdraw(a);
        if (max == 0) return;
        assets = bound(assets, 1, max);
        vm.prank(a);
        pool.withdraw(assets, a, a);
    }

    function borrow(uint256 seed, uint256 principal) external tracked {
        address a = _actor(seed);
        uint256 id = nextToken++;
        T.mintApeTo(a, id);
        uint256 max = T.maxApeLoan();
        uint256 cash = pool.cash();
        if (cash < T.minLoan()) return;
        principal = bound(principal, T.minLoan(), max < cash ? max : cash);
        address apes = T.apesAddress(); // read before the prank: a prank applies to the next call only
        vm.prank(a);
        (uint256 loanId, ILendingPoolTypes.Loan memory l) = pool.borrow(apes, id, 1, principal, a, 0, new bytes32[](0));
        loans[loanId] = l;
        openIds.push(loanId);
    }

    function repay(uint256 seed, uint256 amount, bool full) external tracked {
        if (openIds.length == 0) return;
        uint256 i = seed % openIds.length;
        uint256 loanId = openIds[i];
        ILendingPoolTypes.Loan memory l = loans[loanId];
        uint256 debt = pool.debtOf(l);
        address payer = _actor(seed >> 8);
        T.mintAsset(payer, debt);
        uint256 minLoan_ = T.minLoan();
        if (full || debt <= minLoan_ * 2) {
            vm.prank(payer);
            pool.repay(loanId, l, type(uint256).max);
            openIds[i] = openIds[openIds.length - 1];
            openIds.pop();
            delete loans[loanId];
        } else {
            amount = bound(amount, 1, debt - minLoan_);
            vm.prank(payer);
            (, ILendingPoolTypes.Loan memory updated) = pool.repay(loanId, l, amount);
            loans[loanId] = updated;
        }
    }

    function warp(uint256 dt) external tracked {
        skip(bound(dt, 1, 30 days));
    }

    /// @dev Donations of the asset and of NFTs must change nothing.
    function donate(uint256 amount) external tracked {
        amount = bound(amount, 1, 100 ether);
        T.mintAsset(address(pool), amount);
    }

    function openCount() external view returns (uint256) {
        return openIds.length;
    }

    function openLoan(uint256 i) external view returns (uint256 id, ILendingPoolTypes.Loan memory l) {
        id = openIds[i];
        l = loans[id];
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }
}

/// @notice Pool accounting invariants (SECURITY.md §2, INV-A*/L*), run by `make invariant` and, bounded, in CI.
contract PoolInvariantsTest is BaseTest {
    PoolHandler internal handler;

    function setUp() public override {
        super.setUp();
        address[] memory actors = new address[](4);
        actors[0] = lender;
        actors[1] = lender2;
        actors[2] = borrower;
        actors[3] = stranger;
        for (uint256 i; i < actors.length; ++i) {
            vm.prank(actors[i]);
            weth.approve(address(pool), type(uint256).max);
            vm.prank(actors[i]);
            apes.setApprovalForAll(address(pool), true);
        }
        vm.prank(timelock);
        pool.setDebtCeiling(address(apes), type(uint96).max);
        handler = new PoolHandler(IFixture(address(this)), pool, actors);
        targetContract(address(handler));
    }

    // Helpers the handler calls back into (the fixture owns the mocks).
    function mintAsset(address to, uint256 amount) external {
        weth.mint(to, amount);
    }

    function mintApeTo(address to, uint256 id) external {
        apes.mint(to, id);
    }

    function maxApeLoan() external view returns (uint256) {
        return _maxApeLoan();
    }

    function minLoan() external pure returns (uint256) {
        return MIN_LOAN;
    }

    function apesAddress() external view returns (address) {
        return address(apes);
    }

    /// INV-A3: the shares of all holders sum to the total supply.
    function invariant_A3_sharesSumToSupply() public view {
        uint256 sum;
        for (uint256 i; i < handler.actorCount(); ++i) {
            sum += pool.balanceOf(handler.actors(i));
        }
        assertEq(sum, pool.totalSupply());
    }

    /// INV-A1: lenders' assets are cash plus debt minus the reserve (no auctions run in this campaign), and the
    /// per-loan debts add up to the pool's total within one wei per loan (each rounds up).
    function invariant_A1_conservation() public view {
        uint256 sumDebt;
        uint256 n = handler.openCount();
        for (uint256 i; i < n; ++i) {
            (, ILendingPoolTypes.Loan memory l) = handler.openLoan(i);
            sumDebt += pool.debtOf(l);
        }
        uint256 total = pool.totalDebt();
        assertGe(sumDebt + 1, total);
        assertLe(sumDebt, total + n);
        assertEq(pool.totalAssets(), pool.cash() + total - pool.reserve());
    }

    /// INV-A2: the token balance backs the tracked cash; donations only add to the surplus.
    function invariant_A2_backing() public view {
        assertGe(weth.balanceOf(address(pool)), pool.cash());
    }

    /// INV-A4: without bad debt the share price never falls.
    function invariant_A4_sharePriceMonotone() public view {
        assertFalse(handler.sharePriceFell());
    }

    /// INV-A6: a withdrawal limit never exceeds idle cash.
    function invariant_A6_maxWithdrawWithinCash() public view {
        for (uint256 i; i < handler.actorCount(); ++i) {
            assertLe(pool.maxWithdraw(handler.actors(i)), pool.cash());
        }
    }

    /// INV-L2: every open loan's NFT is held by the pool and its commitment is stored.
    function invariant_L2_custody() public view {
        for (uint256 i; i < handler.openCount(); ++i) {
            (uint256 id, ILendingPoolTypes.Loan memory l) = handler.openLoan(i);
            assertEq(apes.ownerOf(l.tokenId), address(pool));
            assertEq(pool.loanHash(id), keccak256(abi.encode(l)));
        }
    }
}
